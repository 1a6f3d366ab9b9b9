// transaction_state: the open transactions of one partition and its last
// stable offset (KIP-98). A transactional batch opens its producer's
// transaction at the batch's offset; the producer's commit or abort
// marker closes it. The last stable offset is the first offset of the
// oldest transaction not yet decided - open, or decided by a marker the
// high watermark has not passed - and the high watermark when there is
// none: read_committed consumers read below it. An abort marker yields the
// aborted transaction (producer, first offset, marker offset) for the
// log's index. Pure logic, owned by a partition_replica on its shard;
// leaders and followers keep it alike.
#pragma once

#include <climits>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "storage/aborted_txn_index.h"
#include "storage/control_batch.h"

namespace rill::partition {

// One batch as the transaction state sees it.
struct txn_batch {
  int64_t producer_id = -1;
  int64_t base_offset = -1;
  int64_t last_offset = -1;
  bool transactional = false;
  std::optional<storage::txn_marker> marker;  // a control batch's marker
};

class transaction_state {
 public:
  // A batch now in the log. The aborted transaction when it is an abort
  // marker of an open one.
  std::optional<storage::aborted_txn> observe(const txn_batch& b);
  // The last stable offset for this high watermark; forgets decided
  // transactions the high watermark passed.
  int64_t last_stable_offset(int64_t high_watermark);
  // The same, forgetting nothing (reports).
  int64_t stable_offset(int64_t high_watermark) const;
  // The first offset of producer_id's open transaction, if any.
  std::optional<int64_t> open_transaction(int64_t producer_id) const;
  size_t open_count() const { return open_.size(); }
  // Forgets everything (truncation: the state is read again from the log).
  void clear();

  // The open transactions as of log_end, for a restart to know how far back
  // to read (restore_producer_state): text, "0\n" log_end "\n" count "\n"
  // (producer_id " " first_offset "\n"){count}.
  std::string checkpoint(int64_t log_end) const;
  // Where a restart must begin reading to see the first batch of every
  // transaction open at the checkpoint (INT64_MAX: none was open); nullopt
  // if damaged.
  static std::optional<int64_t> restore_from(const std::string& checkpoint);
  // Whether the open transactions changed since mark_checkpointed().
  bool changed_since_checkpoint() const { return changed_; }
  void mark_checkpointed() { changed_ = false; }

 private:
  struct decided {
    int64_t first_offset;
    int64_t marker_offset;
  };
  std::map<int64_t, int64_t> open_;  // producer id -> first offset
  std::vector<decided> decided_;     // by marker offset
  bool changed_ = false;
};

}  // namespace rill::partition
