// scan_batches(): walks the batches of a segment file from a position,
// validating each (length, magic, CRC, offset continuity), in bounded chunks.
// Used by recovery (to find the valid end) and by cold reads.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "base/task.h"
#include "storage/file_io.h"
#include "storage/record_batch.h"

namespace rill::storage {

struct scan_options {
  uint64_t start_position = 0;
  uint64_t end_position = UINT64_MAX;  // stop here (file size)
  int64_t expected_offset = -1;        // base offset of the first batch; -1: any
  size_t batch_bytes_max = 64 << 20;
};

enum class scan_stop : uint8_t { end_of_data, invalid_batch, offset_gap, read_error, stopped };

struct scan_result {
  uint64_t valid_end = 0;  // position after the last valid batch
  int64_t next_offset = -1;
  scan_stop stop = scan_stop::end_of_data;
  batch_errc batch_error = batch_errc::ok;
  bool trailing_zeros = false;  // stopped at zero-filled (preallocated) space
};

// on_batch(view, position, bytes) returns false to stop after this batch.
using batch_visitor = std::function<bool(const batch_view&, uint64_t, std::span<const uint8_t>)>;

task<scan_result> scan_batches(file_io& io, int fd, scan_options options, batch_visitor on_batch);

// Why a scan stopped, for logs.
const char* scan_stop_reason(const scan_result& r);

}  // namespace rill::storage
