// offset_index and time_index: the sparse, in-memory indexes of one segment,
// persisted next to its log file.
//
// An offset entry maps a batch's relative base offset to its byte position
// and is added every index_interval_bytes of log; a time entry maps a
// timestamp to the relative offset of the first batch whose max timestamp
// reached it. Both are rebuilt from the log when missing or damaged, so they
// are written but never fsynced on the append path. Owned by a segment.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace rill::storage {

class offset_index {
 public:
  struct entry {
    uint32_t relative_offset;
    uint32_t position;
  };

  explicit offset_index(uint64_t interval_bytes = 4096) : interval_bytes_(interval_bytes) {}

  // Called for every batch appended at position; adds an entry when due.
  void on_batch(uint32_t relative_offset, uint32_t position, uint32_t size);
  // Position of the last indexed batch starting at or before relative_offset.
  uint32_t lookup(uint32_t relative_offset) const;
  // Drops entries at or after position (truncation).
  void truncate_to_position(uint32_t position);

  std::vector<uint8_t> serialize() const;
  // Parses and checks an index file against the log size; false if damaged.
  bool parse(std::span<const uint8_t> bytes, uint64_t log_bytes);
  const std::vector<entry>& entries() const { return entries_; }
  void clear() {
    entries_.clear();
    bytes_since_entry_ = 0;
  }

 private:
  uint64_t interval_bytes_;
  uint64_t bytes_since_entry_ = 0;
  std::vector<entry> entries_;
};

class time_index {
 public:
  struct entry {
    int64_t timestamp_ms;
    uint32_t relative_offset;
  };

  // Adds an entry when a batch raises the segment's max timestamp.
  void on_batch(int64_t max_timestamp_ms, uint32_t relative_offset);
  // Relative offset from which to scan for the first batch with a max
  // timestamp >= timestamp_ms.
  uint32_t lookup(int64_t timestamp_ms) const;
  void truncate_to_offset(uint32_t relative_offset);
  int64_t max_timestamp() const { return entries_.empty() ? -1 : entries_.back().timestamp_ms; }

  std::vector<uint8_t> serialize() const;
  bool parse(std::span<const uint8_t> bytes);
  const std::vector<entry>& entries() const { return entries_; }
  void clear() { entries_.clear(); }

 private:
  std::vector<entry> entries_;
};

}  // namespace rill::storage
