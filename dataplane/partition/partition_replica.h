// partition_replica: one partition's replica on this broker: its log, its
// idempotent-producer table and its high watermark. Owned by the shard that
// owns the partition (shard_state) and used only on that shard's thread.
//
// In this build a partition has one replica (replication factor 1), so the
// ISR is the leader alone and the high watermark is the log end offset once
// an append has completed; acks=all therefore completes with the leader's
// append and min.insync.replicas above 1 is refused (NOT_ENOUGH_REPLICAS).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "base/task.h"
#include "control/metadata_model.h"
#include "dataplane/partition/partition_errc.h"
#include "dataplane/partition/producer_state.h"
#include "dataplane/runtime/shard.h"
#include "dataplane/runtime/wait_queue.h"
#include "storage/partition_log.h"

namespace rill::partition {

struct produce_outcome {
  partition_errc error = partition_errc::ok;
  int64_t base_offset = -1;
  int64_t log_append_time_ms = -1;
  int64_t log_start_offset = -1;
};

struct fetch_outcome {
  partition_errc error = partition_errc::ok;
  int64_t high_watermark = -1;
  int64_t log_start_offset = -1;
  storage::read_result records;
};

struct offset_lookup {
  partition_errc error = partition_errc::ok;
  int64_t offset = -1;
  int64_t timestamp = -1;
  int32_t leader_epoch = -1;
};

class partition_replica {
 public:
  partition_replica(runtime::shard& s, std::string topic, int32_t index,
                    std::unique_ptr<storage::partition_log> log, int32_t min_insync_replicas);
  const std::string& topic() const { return topic_; }
  int32_t index() const { return index_; }

  // Applies the controller's view: leadership, epoch, ISR.
  void update(const control::partition_info& info, int32_t local_broker_id);

  // Appends a producer's record set (one or more batches). acks: 0, 1, -1.
  task<produce_outcome> produce(storage::batch_bytes records, int16_t acks);
  // Reads from offset, below the high watermark.
  task<fetch_outcome> fetch(int64_t offset, int32_t max_bytes, int32_t current_leader_epoch);
  // ListOffsets: -1 latest, -2 earliest, -3 max timestamp, else by timestamp.
  task<offset_lookup> list_offset(int64_t timestamp, int32_t current_leader_epoch);

  int64_t high_watermark() const { return high_watermark_; }
  runtime::wait_queue& data_arrived() { return data_arrived_; }
  storage::partition_log& log() { return *log_; }
  bool is_leader() const { return leader_; }
  int32_t leader_epoch() const { return leader_epoch_; }

  task<void> close();

 private:
  partition_errc check_leader_epoch(int32_t current_leader_epoch) const;
  task<produce_outcome> append_one(storage::batch_bytes batch);
  void advance_high_watermark();

  std::string topic_;
  int32_t index_;
  std::unique_ptr<storage::partition_log> log_;
  int32_t min_insync_replicas_;
  bool leader_ = false;
  int32_t leader_epoch_ = 0;
  size_t isr_size_ = 1;
  int64_t high_watermark_ = 0;
  producer_state producers_;
  runtime::wait_queue data_arrived_;
};

}  // namespace rill::partition
