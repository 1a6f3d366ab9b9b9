// Leader election and ISR changes: pure functions on a cluster snapshot,
// with no I/O and no clocks, so that the simulation tests can drive them
// through thousands of seeded schedules.
//
// Rules (Kafka's):
//   - a clean election picks the first live replica, in replica order, that
//     is in the ISR; every leadership change bumps the leader epoch, every
//     change of leader or ISR bumps the partition epoch;
//   - a fenced broker leaves the ISR of every partition, except when it is
//     the last member (the ISR then keeps it and the partition goes
//     offline: leader -1), so a later clean election can only pick a replica
//     that has everything committed;
//   - with no live ISR member the partition stays offline, unless the topic
//     allows unclean election: then the first live replica leads and the
//     ISR restarts with it alone (possible loss, logged loudly);
//   - the preferred replica (the first) takes leadership back when it is
//     alive and in the ISR;
//   - a replica whose broker reported its log offline (disk error, full
//     disk) is treated as its broker would be if fenced: it leaves the ISR
//     (unless it is the last member), loses leadership to the next ISR
//     member, and is never elected nor added to the ISR while offline.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/ids.h"
#include "control/metadata_model.h"

namespace rill::control {

struct leader_change {
  std::string topic;
  int32_t partition;
  int32_t old_leader;
  int32_t new_leader;  // -1: offline
  int32_t leader_epoch;
  bool unclean;
};

// Marks broker dead and re-elects where it led. Returns leadership changes.
std::vector<leader_change> fence_broker(cluster_snapshot& s, ids::broker broker);
// Marks broker alive; partitions that were offline with it in their ISR
// get it as leader (or, with unclean election allowed, as a last resort).
std::vector<leader_change> unfence_broker(cluster_snapshot& s, ids::broker broker);
// Moves leadership to preferred replicas that are alive and in the ISR.
std::vector<leader_change> elect_preferred_leaders(cluster_snapshot& s);
// Moves leadership off `broker` where another live ISR member exists
// (controlled shutdown). Returns the changes; leaves the rest alone.
std::vector<leader_change> move_leadership_off(cluster_snapshot& s, ids::broker broker);
// Re-elects a partition whose leader is no longer one of its replicas or
// no longer usable (a reassignment moved it away): the first usable ISR
// member in replica order, unclean only where the topic allows it.
std::vector<leader_change> elect_from_replicas(cluster_snapshot& s, const std::string& topic,
                                               ids::partition partition);

struct replica_state_change {
  bool known = false;    // the partition exists and the broker holds a replica
  bool changed = false;  // the snapshot changed
  std::vector<leader_change> leaders;
};
// A broker reports one of its replicas' logs offline, or healthy again.
replica_state_change set_replica_offline(cluster_snapshot& s, ids::broker broker,
                                         const std::string& topic, ids::partition partition);
replica_state_change set_replica_online(cluster_snapshot& s, ids::broker broker,
                                        const std::string& topic, ids::partition partition);
// A broker that registers anew starts with every replica healthy; it reports
// again whatever is still offline.
std::vector<leader_change> clear_offline_replicas(cluster_snapshot& s, ids::broker broker);

enum class isr_change_errc : uint8_t {
  ok = 0,
  unknown_partition,
  not_leader,             // the requester does not lead the partition
  fenced_leader_epoch,    // stale leader epoch
  stale_partition_epoch,  // the ISR changed meanwhile
  invalid_isr,            // not a subset of the replicas, leader missing, or a dead member added
};
const char* isr_change_errc_name(isr_change_errc e);

// An AlterPartition-style request from a partition leader.
struct isr_change_request {
  std::string topic;
  ids::partition partition;
  ids::broker leader;
  ids::leader_epoch leader_epoch;
  ids::partition_epoch partition_epoch;
  std::vector<int32_t> new_isr;
};
isr_change_errc change_isr(cluster_snapshot& s, const isr_change_request& r);

bool broker_alive(const cluster_snapshot& s, ids::broker broker);

}  // namespace rill::control
