// group_coordinator: one shard's share of the consumer-group coordinator.
//
// A group belongs to partition hash(group) mod N of __consumer_offsets; the
// broker leading that partition coordinates it, on the shard that owns the
// partition. This object holds, for each offsets partition this shard
// leads, the groups of that partition (consumer_group state machines) and
// their committed offsets. It reads the partition into memory when it
// becomes leader (requests wait for the load, bounded, then get
// COORDINATOR_LOAD_IN_PROGRESS), and drops it at once when leadership moves
// (requests, and JoinGroup/SyncGroup waiting in it, get NOT_COORDINATOR).
//
// Every change that must survive a failover (an offset commit, the leader's
// assignments, a group emptied or deleted) is appended to the partition as
// an acks=all write and takes effect only once committed. A background loop
// (every k_tick_ms) expires sessions, completes rebalance rounds, stores
// due group records, expires old offsets of empty groups and notices
// leadership changes.
//
// Created per shard by the broker at start (reached through local() on the
// shard's thread), stopped after the shard's partitions closed, destroyed
// in the shard's at_exit hook.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/task.h"
#include "dataplane/group/consumer_group.h"
#include "dataplane/partition/partition_replica.h"
#include "platform/runtime/shard.h"
#include "platform/runtime/wait_queue.h"
#include "storage/batch_builder.h"
#include "storage/record_reader.h"

namespace rill::partition {
class shard_state;
}  // namespace rill::partition

namespace rill::group {

constexpr const char* k_offsets_topic = "__consumer_offsets";

// Kafka's placement: abs(Java String.hashCode(group)) mod partitions.
int32_t offsets_partition_for(const std::string& group_id, int32_t partitions);

struct coordinator_settings {
  group_settings group;
  int32_t commit_timeout_ms = 5000;               // offsets.commit.timeout.ms
  int32_t offset_metadata_bytes_max = 4096;       // offset.metadata.max.bytes
  int64_t offsets_retention_ms = 7 * 86400000LL;  // offsets.retention.minutes
  int64_t offsets_retention_check_ms = 600000;    // offsets.retention.check.interval.ms
  int32_t load_wait_ms = 5000;                    // a request waits this long for a load
};

struct commit_item {
  topic_partition tp;
  committed_offset value;
};

// A TxnOffsetCommit's producer: its offsets take effect with the
// transaction's commit marker, and never with an abort.
struct txn_producer {
  int64_t id = -1;
  int16_t epoch = -1;
};

struct commit_request {
  std::string member_id;
  std::optional<std::string> instance_id;
  int32_t generation = -1;
  std::vector<commit_item> items;
  std::optional<txn_producer> transaction;
};

struct group_offsets {
  group_errc error = group_errc::ok;
  std::vector<std::pair<topic_partition, committed_offset>> offsets;
  // require_stable: partitions with a transaction's commit still undecided
  // (UNSTABLE_OFFSET_COMMIT, KIP-447).
  std::vector<topic_partition> unstable;
};

struct group_summary {
  std::string group_id;
  std::string protocol_type;
  group_state state = group_state::empty;
};

// One loaded group as the broker's metrics report it.
struct group_report {
  std::string group_id;
  group_state state = group_state::empty;
  int32_t generation = 0;
  size_t members = 0;
  std::map<topic_partition, committed_offset> offsets;
};

struct member_description {
  std::string member_id;
  std::optional<std::string> instance_id;
  std::string client_id;
  std::string client_host;
  std::string metadata;
  std::string assignment;
};

struct group_description {
  group_errc error = group_errc::ok;
  group_state state = group_state::dead;
  std::string protocol_type;
  std::string protocol;
  std::vector<member_description> members;
};

// The coordinator's state per group and per offsets partition
// (coordinator_internal.h).
struct group_slot;
struct offsets_partition;

class group_coordinator {
 public:
  static constexpr int64_t k_tick_ms = 100;

  group_coordinator(runtime::shard& s, const coordinator_settings& settings);
  ~group_coordinator();
  static group_coordinator& local();

  void start();
  // Drops every loaded partition (waiters answer NOT_COORDINATOR) and
  // returns once the background loop and every operation ended.
  task<void> stop();

  // Each on the shard that owns offsets partition `partition`.
  task<join_answer> join(int32_t partition, std::string group_id, join_request r);
  task<sync_answer> sync(int32_t partition, std::string group_id, sync_request r);
  task<group_errc> heartbeat(int32_t partition, std::string group_id, std::string member_id,
                             std::optional<std::string> instance_id, int32_t generation);
  // One error per leaving member, in order; the error of the request first.
  task<std::vector<group_errc>> leave(
      int32_t partition, std::string group_id,
      std::vector<std::pair<std::string, std::optional<std::string>>> members);
  // One error per item, in order.
  task<std::vector<group_errc>> commit(int32_t partition, std::string group_id, commit_request r);
  // tps: nullopt for every committed offset of the group.
  task<group_offsets> fetch_offsets(int32_t partition, std::string group_id,
                                    std::optional<std::vector<topic_partition>> tps,
                                    bool require_stable = false);
  // A transaction marker was written to offsets partition `partition`:
  // the producer's pending transactional commits take effect (commit) or
  // go (abort).
  void complete_transaction(int32_t partition, int64_t producer_id, bool commit);
  task<group_description> describe(int32_t partition, std::string group_id);
  task<group_errc> delete_group(int32_t partition, std::string group_id);
  // The request's error, then one per partition.
  task<std::pair<group_errc, std::vector<group_errc>>> delete_offsets(
      int32_t partition, std::string group_id, std::vector<topic_partition> tps);
  // The groups of every partition this shard has loaded.
  std::vector<group_summary> list_groups() const;
  // Every group whose offsets partition this shard has loaded.
  std::vector<group_report> report() const;

 private:
  // Counts a request or store in flight, for stop().
  struct operation {
    explicit operation(group_coordinator& c) : coordinator(&c) { ++c.operations_; }
    ~operation() { --coordinator->operations_; }
    operation(const operation&) = delete;
    operation& operator=(const operation&) = delete;
    group_coordinator* coordinator;
  };
  // The partition, loaded and led by this shard, or why not.
  task<result<offsets_partition*, group_errc>> acquire(int32_t partition);
  task<void> load(offsets_partition* part, std::shared_ptr<partition::partition_replica> replica);
  // producer_id >= 0: the record is in a transaction, pending its marker.
  void apply_loaded_record(offsets_partition& part, const storage::record_view& r,
                           int64_t producer_id);
  void unload(offsets_partition& part, const char* why);
  void complete_transaction(offsets_partition& part, int64_t producer_id, bool commit);
  std::shared_ptr<group_slot> find_group(offsets_partition& part, const std::string& group_id);
  std::shared_ptr<group_slot> find_or_create_group(offsets_partition& part,
                                                   const std::string& group_id);
  // Appends records to the partition as an acks=all write; the offset of
  // the first record, or why it failed.
  task<result<int64_t, group_errc>> append(offsets_partition& part,
                                           std::vector<storage::record_spec> records,
                                           std::optional<txn_producer> transaction = std::nullopt);
  // Park until the member's answer is there (or the group or partition
  // went away, or the deadline passed).
  task<join_answer> wait_for_join(std::shared_ptr<group_slot> slot, std::string member_id,
                                  uint64_t deadline_ns);
  task<sync_answer> wait_for_sync(std::shared_ptr<group_slot> slot, std::string member_id,
                                  uint64_t deadline_ns);
  // Wakes the group's waiters and starts storing its record when due.
  void after_change(offsets_partition& part, std::shared_ptr<group_slot>& slot);
  task<void> store_group(offsets_partition* part, std::shared_ptr<group_slot> slot);
  task<void> background_loop();
  // Starts loading every offsets partition this shard leads and has not
  // loaded at its current leader epoch (Kafka loads on becoming leader).
  void load_led_partitions();
  void tick(offsets_partition& part, int64_t now_ms);
  task<void> expire_offsets(offsets_partition* part);
  int64_t now_ms() const;

  runtime::shard* shard_;
  coordinator_settings settings_;
  std::map<int32_t, std::unique_ptr<offsets_partition>> partitions_;
  bool stopping_ = false;
  bool loop_running_ = false;
  int64_t operations_ = 0;  // requests and stores in flight
  runtime::wait_queue stopped_;
  int64_t next_retention_check_ms_ = 0;
};

}  // namespace rill::group
