// producer_state: the idempotent-producer table of one partition: for each
// producer id, its epoch, the last sequence accepted and the offsets of its
// recent batches (so a retried duplicate is answered with its original
// offsets). Owned by a partition_replica on its shard.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <unordered_map>
#include <vector>

namespace rill::partition {

enum class sequence_check : uint8_t {
  accept,        // new batch, in order
  duplicate,     // already appended: answer with its original offsets
  in_flight,     // a retry of a batch whose append has not finished: retriable
  out_of_order,  // OUT_OF_ORDER_SEQUENCE_NUMBER
  fenced_epoch,  // INVALID_PRODUCER_EPOCH: an older epoch of the producer
};

struct batch_identity {
  int64_t producer_id;
  int16_t producer_epoch;
  int32_t first_sequence;
  int32_t last_sequence;
  int64_t max_timestamp = -1;
};

// One producer as DescribeProducers reports it.
struct producer_report {
  int64_t producer_id = -1;
  int16_t epoch = -1;
  int32_t last_sequence = -1;
  int64_t last_timestamp = -1;            // the newest timestamp of its appended batches
  int64_t current_txn_start_offset = -1;  // its open transaction's first offset, if any
};

class producer_state {
 public:
  static constexpr size_t k_recent_batches_max = 5;  // Kafka's max.in.flight for idempotence

  // Checks a batch; on accept, reserves its sequence range (the caller must
  // then call appended() or append_failed()).
  sequence_check check(const batch_identity& b, int64_t* duplicate_base_offset);
  void appended(const batch_identity& b, int64_t base_offset);
  void append_failed(const batch_identity& b);
  // A batch that is in the log already (replicated from the leader, or read
  // back at start-up): followers keep the table too, so that a new leader
  // still recognises a retried duplicate.
  void observe(const batch_identity& b, int64_t base_offset);
  // A batch of the producer at epoch that carries no sequence (a
  // transaction marker, a coordinator's transactional offset commit):
  // false when the partition has seen a newer epoch (fenced); a newer epoch
  // starts the producer's sequences afresh.
  bool observe_epoch(int64_t producer_id, int16_t epoch);
  size_t producer_count() const { return producers_.size(); }
  // Every producer with an appended batch, by id.
  std::vector<producer_report> report() const;
  // The last sequence accepted from a producer (-1: unknown), for diagnostics.
  int32_t last_sequence(int64_t producer_id) const {
    auto it = producers_.find(producer_id);
    return it == producers_.end() ? -1 : it->second.last_sequence;
  }

 private:
  struct recent {
    int32_t first_sequence;
    int32_t last_sequence;
    int64_t base_offset;  // -1 while the append is in flight
  };
  struct entry {
    int16_t epoch = -1;
    int32_t last_sequence = -1;      // includes in-flight reservations
    int32_t appended_sequence = -1;  // the last sequence in the log
    int64_t last_timestamp = -1;
    std::deque<recent> batches;
  };
  std::unordered_map<int64_t, entry> producers_;
};

}  // namespace rill::partition
