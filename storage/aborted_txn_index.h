// aborted_txn_index: the aborted transactions of one log, for
// read_committed consumers: each producer id with the first offset of its
// aborted transaction and the offset of the abort marker. A Fetch answers
// the entries that overlap what it returns, and the consumer drops that
// producer's batches from first_offset until it reads the marker.
//
// Owned by a partition_log; persisted as `aborted-transactions` (text, one
// entry per line) by write-temp, sync, rename, sync-dir. Entries whose
// marker is cut by a truncation go; entries wholly below the log start go.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/task.h"
#include "storage/file_io.h"

namespace rill::storage {

struct aborted_txn {
  int64_t producer_id = -1;
  int64_t first_offset = -1;
  int64_t last_offset = -1;  // the abort marker
  bool operator==(const aborted_txn&) const = default;
};

class aborted_txn_index {
 public:
  // Records an aborted transaction (ignored when already known); true if
  // the index changed. REQUIRES: first_offset <= last_offset.
  bool add(const aborted_txn& t);
  // Entries overlapping [from, to): last_offset >= from, first_offset < to.
  std::vector<aborted_txn> overlapping(int64_t from, int64_t to) const;
  // Whether a batch of producer_id at offset lies in one of its aborted
  // transactions.
  bool contains_batch(int64_t producer_id, int64_t offset) const;
  // Drops entries whose marker lies at or past end_offset; true if any.
  bool truncate_from_end(int64_t end_offset);
  // Drops entries that end below start_offset; true if any.
  bool truncate_from_start(int64_t start_offset);
  const std::vector<aborted_txn>& entries() const { return entries_; }

  static std::string serialize(const std::vector<aborted_txn>& entries);
  static bool parse(const std::string& text, std::vector<aborted_txn>* out);
  task<io_errc> persist(file_io& io, const std::string& dir) const;
  task<io_errc> load(file_io& io, const std::string& dir);

 private:
  std::vector<aborted_txn> entries_;  // by marker offset
};

}  // namespace rill::storage
