// The group coordinator's state per group and per offsets partition, shared
// by group_coordinator.cc and group_requests.cc. Used on the owning
// shard's thread only.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/group/consumer_group.h"
#include "dataplane/group/group_coordinator.h"
#include "dataplane/partition/partition_errc.h"
#include "dataplane/partition/partition_replica.h"
#include "platform/runtime/wait_queue.h"

namespace rill::group {

struct group_slot {
  explicit group_slot(consumer_group g) : group(std::move(g)) {}
  consumer_group group;
  // Woken on every change of the group; JoinGroup and SyncGroup park here.
  runtime::wait_queue changed;
  bool gone = false;  // unloaded or deleted: waiters answer NOT_COORDINATOR
  bool store_running = false;
  // The log offset of each partition's latest applied commit: commits that
  // finish out of order never let an older one win.
  std::map<topic_partition, int64_t> positions;
};

// A transactional offset commit waiting for its transaction's marker.
struct pending_commit {
  std::string group_id;
  topic_partition tp;
  committed_offset value;
  int64_t position = -1;  // its record's offset
};

struct offsets_partition {
  explicit offsets_partition(int32_t i) : index(i) {}
  // By producer id, the commits of its open transaction.
  std::map<int64_t, std::vector<pending_commit>> pending;
  // Markers written while the partition was loading, past where the load
  // reads: (producer id, commit), applied once it is loaded.
  std::vector<std::pair<int64_t, bool>> markers_while_loading;
  int32_t index;
  int32_t leader_epoch = -1;  // of the load
  bool loading = false;
  bool loaded = false;
  uint64_t salt = 0;  // member ids of this load
  std::shared_ptr<partition::partition_replica> replica;
  std::map<std::string, std::shared_ptr<group_slot>> groups;
  runtime::wait_queue load_done;
};

// Wall-clock milliseconds, for commit timestamps and retention.
int64_t epoch_ms();
group_errc from_partition_errc(partition::partition_errc e);

}  // namespace rill::group
