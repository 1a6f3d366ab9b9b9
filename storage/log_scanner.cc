#include "storage/log_scanner.h"

#include <algorithm>
#include <vector>

namespace rill::storage {
namespace {
constexpr size_t k_scan_chunk_bytes = 1 << 20;

bool all_zero(std::span<const uint8_t> bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](uint8_t b) { return b == 0; });
}

// Reads up to n bytes at pos into chunk (resized to what was read).
task<bool> read_chunk(file_io& io, int fd, uint64_t pos, size_t n, std::vector<uint8_t>* chunk) {
  chunk->assign(n, 0);
  auto got = co_await io.read_at(fd, pos, *chunk);
  if (!got.ok()) co_return false;
  chunk->resize(got.value());
  co_return true;
}
}  // namespace

task<scan_result> scan_batches(file_io& io, int fd, scan_options options, batch_visitor on_batch) {
  scan_result r;
  r.valid_end = options.start_position;
  r.next_offset = options.expected_offset;
  std::vector<uint8_t> chunk;
  uint64_t chunk_pos = 0;
  uint64_t pos = options.start_position;
  while (pos < options.end_position) {
    // Re-read when the chunk does not hold the header (or, below, the batch).
    if (chunk.empty() || pos + batch_format::header_bytes > chunk_pos + chunk.size()) {
      size_t n =
          static_cast<size_t>(std::min<uint64_t>(k_scan_chunk_bytes, options.end_position - pos));
      if (!co_await read_chunk(io, fd, pos, n, &chunk)) {
        r.stop = scan_stop::read_error;
        co_return r;
      }
      chunk_pos = pos;
      if (chunk.size() < batch_format::header_bytes) {
        r.trailing_zeros = all_zero(chunk);
        r.stop =
            chunk.empty() || r.trailing_zeros ? scan_stop::end_of_data : scan_stop::invalid_batch;
        r.batch_error = batch_errc::truncated;
        co_return r;
      }
    }
    std::span<const uint8_t> here(chunk.data() + (pos - chunk_pos),
                                  chunk.size() - (pos - chunk_pos));
    size_t total = batch_view(here.data()).size_bytes();
    if (batch_view(here.data()).batch_length() > 0 && total <= options.batch_bytes_max &&
        total > here.size() && pos + total <= options.end_position) {
      // The batch spans past the chunk: read it whole.
      if (!co_await read_chunk(io, fd, pos, total, &chunk)) {
        r.stop = scan_stop::read_error;
        co_return r;
      }
      chunk_pos = pos;
      here = std::span<const uint8_t>(chunk);
    }
    batch_view view(here.data());  // after any re-read: chunk may have moved
    size_t size = 0;
    batch_errc e = validate_batch(here, options.batch_bytes_max, count_check::at_most, &size);
    if (e != batch_errc::ok) {
      r.trailing_zeros = all_zero(here.first(std::min(here.size(), batch_format::header_bytes)));
      r.stop = r.trailing_zeros ? scan_stop::end_of_data : scan_stop::invalid_batch;
      r.batch_error = e;
      co_return r;
    }
    if (r.next_offset >= 0 && view.base_offset() != r.next_offset) {
      r.stop = scan_stop::offset_gap;
      co_return r;
    }
    bool more = on_batch(view, pos, here.first(size));
    pos += size;
    r.valid_end = pos;
    r.next_offset = view.last_offset() + 1;
    if (!more) {
      r.stop = scan_stop::stopped;
      co_return r;
    }
  }
  co_return r;
}

const char* scan_stop_reason(const scan_result& r) {
  switch (r.stop) {
    case scan_stop::end_of_data:
      return "end of data";
    case scan_stop::invalid_batch:
      return batch_errc_name(r.batch_error);
    case scan_stop::offset_gap:
      return "offset gap";
    case scan_stop::read_error:
      return "read error";
    case scan_stop::stopped:
      return "stopped";
  }
  return "?";
}

}  // namespace rill::storage
