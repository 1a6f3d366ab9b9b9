// partition_log: the read path (hot tail, disk, timestamps).
#include <algorithm>
#include <utility>

#include "base/assert.h"
#include "base/log.h"
#include "storage/compression.h"
#include "storage/index_format.h"
#include "storage/log_scanner.h"
#include "storage/partition_log.h"
#include "storage/record_reader.h"

namespace rill::storage {

const segment* partition_log::segment_for(int64_t offset) const {
  auto it = segments_.upper_bound(offset);
  if (it == segments_.begin()) return nullptr;
  return std::prev(it)->second.get();
}

int64_t partition_log::offset_bytes_before_end(uint64_t bytes_back) const {
  uint64_t skipped = 0;
  for (auto it = segments_.rbegin(); it != segments_.rend(); ++it) {
    const segment& s = *it->second;
    if (skipped + s.size_bytes < bytes_back) {
      skipped += s.size_bytes;
      continue;
    }
    uint64_t want = s.size_bytes - (bytes_back - skipped);
    int64_t offset = s.base_offset;
    for (const offset_index::entry& e : s.index.entries()) {
      if (e.position <= want) offset = s.base_offset + e.relative_offset;
    }
    return std::max(offset, log_start_offset_);
  }
  return log_start_offset_;
}

task<result<int, log_errc>> partition_log::read_fd_of(segment& s) {
  while (s.read_fd < 0) {
    // Compaction may replace the file while the open is in flight: a
    // descriptor of the old file must not meet the new indexes.
    uint64_t generation = s.file_generation;
    auto fd = co_await io_.open(segment_path(options_.dir, s.base_offset, index_format::log_suffix),
                                open_mode::read_only, direct_io::off);
    if (!fd.ok()) {
      RILL_ERROR("storage", "%s: opening segment %lld for reading failed: %s", options_.dir.c_str(),
                 static_cast<long long>(s.base_offset), io_errc_name(fd.error()));
      co_return log_errc_from_io(fd.error());
    }
    if (s.read_fd >= 0 || s.file_generation != generation) {
      (void)co_await io_.close(fd.value());  // another open won, or the file was replaced
      continue;
    }
    s.read_fd = fd.value();
  }
  co_return s.read_fd;
}

task<void> partition_log::release_read_descriptors() {
  if (cold_reads_ == 0) co_await close_read_fds();
}

task<void> partition_log::close_read_fds() {
  for (auto& [base, s] : segments_) {
    if (s->read_fd >= 0) (void)co_await io_.close(std::exchange(s->read_fd, -1));
  }
  co_await close_retired_fds();
}

void partition_log::trim_hot_tail() {
  while (hot_tail_bytes() > options_.hot_tail_bytes_max && hot_tail_.size() > 1) hot_pop_front();
}

// The cache counts the log's hot tail bytes (hot_tail_bytes()); every
// change goes through it.
void partition_log::hot_push(hot_batch b) {
  size_t size = b.bytes->size();
  hot_tail_.push_back(std::move(b));
  hot_tails_->grew(&hot_member_, size);  // the shard's budget: may evict, here or elsewhere
  trim_hot_tail();                       // this log's own cap
}

void partition_log::hot_pop_front() {
  RILL_ASSERT(!hot_tail_.empty());
  size_t size = hot_tail_.front().bytes->size();
  hot_tail_.pop_front();
  hot_tails_->shrank(&hot_member_, size);
}

void partition_log::hot_pop_back() {
  RILL_ASSERT(!hot_tail_.empty());
  size_t size = hot_tail_.back().bytes->size();
  hot_tail_.pop_back();
  hot_tails_->shrank(&hot_member_, size);
}

void partition_log::hot_clear() {
  while (!hot_tail_.empty()) hot_pop_back();
}

size_t partition_log::evict_hot(size_t bytes) {
  // Only what the file already holds: a read of it can go to the disk.
  size_t freed = 0;
  while (freed < bytes && !hot_tail_.empty() && hot_tail_.front().last_offset < written_offset_) {
    freed += hot_tail_.front().bytes->size();
    hot_pop_front();
  }
  return freed;
}

task<result<read_result, log_errc>> partition_log::read(int64_t offset, size_t max_bytes,
                                                        int64_t bound) {
  if (offset < log_start_offset_ || offset > written_offset_)
    co_return log_errc::offset_out_of_range;
  bound = std::min(bound, written_offset_);
  if (offset >= bound) co_return read_result{};
  hot_tails_->read(&hot_member_);
  if (!hot_tail_.empty() && offset >= hot_tail_.front().base_offset) {
    co_return read_hot(offset, max_bytes, bound);
  }
  co_return co_await read_cold(offset, max_bytes, bound);
}

read_result partition_log::read_hot(int64_t offset, size_t max_bytes, int64_t bound) {
  read_result r;
  auto it = std::lower_bound(hot_tail_.begin(), hot_tail_.end(), offset,
                             [](const hot_batch& b, int64_t o) { return b.last_offset < o; });
  for (; it != hot_tail_.end() && it->last_offset < bound; ++it) {
    size_t size = it->bytes->size();
    if (r.bytes > 0 && r.bytes + size > max_bytes) break;
    r.slices.push_back({it->bytes, std::span<const uint8_t>(*it->bytes)});
    r.bytes += size;
  }
  counters_.bytes_read_memory += r.bytes;
  return r;
}

task<result<read_result, log_errc>> partition_log::read_cold(int64_t offset, size_t max_bytes,
                                                             int64_t bound) {
  ++cold_reads_;
  auto r = co_await read_cold_counted(offset, max_bytes, bound);
  if (--cold_reads_ == 0 && !retired_fds_.empty()) co_await close_retired_fds();
  co_return r;
}

task<result<read_result, log_errc>> partition_log::read_cold_counted(int64_t offset,
                                                                     size_t max_bytes,
                                                                     int64_t bound) {
  const segment* found = segment_for(offset);
  if (found == nullptr) co_return log_errc::offset_out_of_range;
  segment* s = segments_.at(found->base_offset).get();
  if (offset >= s->next_offset) {
    auto next = segments_.upper_bound(s->base_offset);
    if (next == segments_.end()) co_return read_result{};
    s = next->second.get();
  }
  auto fd = co_await read_fd_of(*s);
  if (!fd.ok()) co_return fd.error();
  auto owner = std::make_shared<std::vector<uint8_t>>();
  scan_options options{.start_position = s->index.lookup(
                           static_cast<uint32_t>(std::max<int64_t>(0, offset - s->base_offset))),
                       .end_position = s->size_bytes,
                       .expected_offset = -1,
                       .batch_bytes_max = std::max<size_t>(options_.batch_bytes_max, 64 << 20)};
  scan_result scanned = co_await scan_batches(
      io_, fd.value(), options, [&](const batch_view& v, uint64_t, std::span<const uint8_t> bytes) {
        if (v.last_offset() >= bound) return false;
        if (v.last_offset() < offset) return true;
        if (!owner->empty() && owner->size() + bytes.size() > max_bytes) return false;
        owner->insert(owner->end(), bytes.begin(), bytes.end());
        return true;
      });
  if (scanned.stop == scan_stop::read_error ||
      (scanned.stop == scan_stop::invalid_batch && owner->empty())) {
    RILL_ERROR("storage", "%s: reading offset %lld from segment %lld failed: %s",
               options_.dir.c_str(), static_cast<long long>(offset),
               static_cast<long long>(s->base_offset),
               scanned.stop == scan_stop::read_error ? "read error"
                                                     : batch_errc_name(scanned.batch_error));
    co_return log_errc::storage_error;
  }
  read_result r;
  r.from_memory = false;
  r.bytes = owner->size();
  if (r.bytes > 0) r.slices.push_back({owner, std::span<const uint8_t>(*owner)});
  counters_.bytes_read_disk += r.bytes;
  co_return r;
}

namespace {

// The record of a batch at or after timestamp_ms (the first one), or the
// record with the largest timestamp when timestamp_ms is nullopt. Records
// of a LogAppendTime batch all carry its max timestamp.
timestamp_lookup find_in_batch(std::span<const uint8_t> batch,
                               std::optional<int64_t> timestamp_ms) {
  batch_view v(batch.data());
  bool append_time = (v.attributes() & batch_format::timestamp_type_log_append) != 0;
  std::optional<std::vector<uint8_t>> plain = inflated_batch(batch, k_inflated_batch_bytes_max);
  if (!plain) return {v.base_offset(), v.max_timestamp()};  // cannot look inside
  record_reader records(*plain);
  timestamp_lookup best;
  while (auto r = records.next()) {
    int64_t ts = append_time ? v.max_timestamp() : r->timestamp_ms;
    if (timestamp_ms) {
      if (ts >= *timestamp_ms) return {r->offset, ts};
    } else if (ts > best.timestamp) {
      best = {r->offset, ts};
    }
  }
  if (!records.valid() || best.offset < 0) {
    // Unreadable: the batch's first offset and its max.
    return {v.base_offset(), v.max_timestamp()};
  }
  return best;
}

}  // namespace

task<result<timestamp_lookup, log_errc>> partition_log::offset_for_timestamp(int64_t timestamp_ms) {
  ++cold_reads_;
  auto r = co_await offset_for_timestamp_counted(timestamp_ms);
  if (--cold_reads_ == 0 && !retired_fds_.empty()) co_await close_retired_fds();
  co_return r;
}

task<result<timestamp_lookup, log_errc>> partition_log::offset_for_timestamp_counted(
    int64_t timestamp_ms) {
  for (auto& [base, s] : segments_) {
    if (s->max_timestamp < timestamp_ms) continue;
    auto fd = co_await read_fd_of(*s);  // first: the index must be the open file's
    if (!fd.ok()) co_return fd.error();
    uint32_t relative = s->timestamps.lookup(timestamp_ms);
    timestamp_lookup found;
    scan_options options{.start_position = s->index.lookup(relative),
                         .end_position = s->size_bytes,
                         .expected_offset = -1,
                         .batch_bytes_max = std::max<size_t>(options_.batch_bytes_max, 64 << 20)};
    scan_result scanned = co_await scan_batches(
        io_, fd.value(), options, [&](const batch_view& v, uint64_t, std::span<const uint8_t> b) {
          if (v.base_offset() >= written_offset_) return false;
          if (v.max_timestamp() < timestamp_ms) return true;
          found = find_in_batch(b, timestamp_ms);
          found.offset = std::max(found.offset, log_start_offset_);
          return false;
        });
    if (scanned.stop == scan_stop::read_error) co_return log_errc::storage_error;
    if (found.offset >= 0) co_return found;
  }
  co_return timestamp_lookup{};
}

task<result<timestamp_lookup, log_errc>> partition_log::max_timestamp_record(int64_t bound) {
  ++cold_reads_;
  auto r = co_await max_timestamp_counted(bound);
  if (--cold_reads_ == 0 && !retired_fds_.empty()) co_await close_retired_fds();
  co_return r;
}

task<result<timestamp_lookup, log_errc>> partition_log::max_timestamp_counted(int64_t bound) {
  segment* newest = nullptr;  // the first segment holding the largest timestamp
  for (auto& [base, s] : segments_) {
    if (s->base_offset >= bound) break;
    if (s->size_bytes > 0 && (newest == nullptr || s->max_timestamp > newest->max_timestamp)) {
      newest = s.get();
    }
  }
  if (newest == nullptr) co_return timestamp_lookup{};
  auto fd = co_await read_fd_of(*newest);
  if (!fd.ok()) co_return fd.error();
  timestamp_lookup best;
  scan_options options{.start_position = 0,
                       .end_position = newest->size_bytes,
                       .expected_offset = -1,
                       .batch_bytes_max = std::max<size_t>(options_.batch_bytes_max, 64 << 20)};
  scan_result scanned = co_await scan_batches(
      io_, fd.value(), options, [&](const batch_view& v, uint64_t, std::span<const uint8_t> b) {
        if (v.last_offset() >= bound) return false;
        if (v.max_timestamp() > best.timestamp) best = find_in_batch(b, std::nullopt);
        return true;
      });
  if (scanned.stop == scan_stop::read_error) co_return log_errc::storage_error;
  co_return best;
}

}  // namespace rill::storage
