// leader_epoch_cache: for each leader epoch seen in this log, the offset of
// its first batch. This is what a follower uses to find where its log
// diverged from a new leader's (KIP-101/279): it asks for the end offset of
// its latest epoch and truncates there, never to the high watermark.
//
// Owned by a partition_log; persisted as `leader-epoch-checkpoint` (the
// text format of docs/formats/log_segment.md) by write-temp, sync, rename,
// sync-dir, so a crash leaves either the old or the new file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/task.h"
#include "storage/file_io.h"

namespace rill::storage {

class leader_epoch_cache {
 public:
  struct entry {
    int32_t epoch;
    int64_t start_offset;
  };
  struct epoch_end {
    int32_t epoch;       // -1 when unknown
    int64_t end_offset;  // -1 when unknown
  };

  // Records that epoch starts at start_offset; returns true if it changed
  // the cache (a new, larger epoch).
  bool assign(int32_t epoch, int64_t start_offset);
  // Removes epochs that start at or after end_offset (log truncation).
  void truncate_from_end(int64_t end_offset);
  // Drops history before start_offset (retention), keeping the epoch that
  // covers it.
  void truncate_from_start(int64_t start_offset);
  // The largest epoch <= requested and where it ends (the next epoch's start
  // offset, or log_end_offset for the latest epoch).
  epoch_end end_offset_for(int32_t requested, int64_t log_end_offset) const;
  int32_t latest_epoch() const { return entries_.empty() ? -1 : entries_.back().epoch; }
  const std::vector<entry>& entries() const { return entries_; }

  static std::string serialize(const std::vector<entry>& entries);
  static bool parse(const std::string& text, std::vector<entry>* out);
  task<io_errc> persist(file_io& io, const std::string& dir) const;
  task<io_errc> load(file_io& io, const std::string& dir);

 private:
  std::vector<entry> entries_;
};

// Writes contents to dir/name atomically (temp file, sync, rename, sync dir).
task<io_errc> write_file_atomically(file_io& io, const std::string& dir, const std::string& name,
                                    const std::string& contents);
// Reads a whole small file; not_found if absent, invalid_argument if it
// holds more than max_bytes.
task<result<std::string, io_errc>> read_small_file(file_io& io, const std::string& path,
                                                   size_t max_bytes = 1 << 20);

}  // namespace rill::storage
