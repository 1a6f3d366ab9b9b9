// segment: one log file of a partition (`<base offset>.log`) with its sparse
// offset and time indexes. A plain record owned by its partition_log; only
// the newest (active) segment has a write descriptor.
#pragma once

#include <cstdint>
#include <string>

#include "storage/segment_index.h"

namespace rill::storage {

struct segment {
  int64_t base_offset = 0;
  int64_t next_offset = 0;  // one past the last batch's last offset
  uint64_t size_bytes = 0;  // bytes of valid batches
  int64_t max_timestamp = -1;
  int64_t created_ms = 0;  // wall time of the first append (roll by age)
  int read_fd = -1;
  uint64_t file_generation = 0;    // bumped when compaction replaces the file
  int write_fd = -1;               // O_DIRECT (or buffered) descriptor of the active segment
  uint64_t allocated_bytes = 0;    // file space reserved ahead (fallocate'd or zeroed)
  uint64_t initialized_bytes = 0;  // [0, this) holds data or zeros: writes there are overwrites
  offset_index index;
  time_index timestamps;
};

// "<dir>/00000000000000000042<suffix>"
std::string segment_path(const std::string& dir, int64_t base_offset, const char* suffix);
// Parses "00000000000000000042.log"; false if the name is not a log file.
bool parse_segment_file_name(const std::string& name, int64_t* base_offset);

}  // namespace rill::storage
