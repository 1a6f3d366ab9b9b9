// partition_log: truncation (followers that diverged) and retention.
#include <algorithm>

#include "base/assert.h"
#include "base/log.h"
#include "storage/index_format.h"
#include "storage/log_scanner.h"
#include "storage/page.h"
#include "storage/partition_log.h"

namespace rill::storage {

task<log_errc> partition_log::delete_segment(int64_t base_offset) {
  auto it = segments_.find(base_offset);
  RILL_ASSERT(it != segments_.end(), "no segment %lld", static_cast<long long>(base_offset));
  segment& s = *it->second;
  if (s.write_fd >= 0) (void)co_await io_.close(s.write_fd);
  if (s.read_fd >= 0) (void)co_await io_.close(s.read_fd);
  segments_.erase(it);
  log_errc result = log_errc::ok;
  for (const char* suffix : {index_format::log_suffix, index_format::offset_index_suffix,
                             index_format::time_index_suffix}) {
    io_errc e = io_.remove(segment_path(options_.dir, base_offset, suffix));
    if (e != io_errc::ok && e != io_errc::not_found) result = log_errc::storage_error;
  }
  co_return result;
}

task<log_errc> partition_log::reset_to(int64_t offset) {
  RILL_ASSERT(offset >= 0, "reset to %lld", static_cast<long long>(offset));
  co_await wait_for_compaction();
  co_await wait_idle();
  rolling_ = true;
  log_errc e = log_errc::ok;
  while (!segments_.empty() && e == log_errc::ok)
    e = co_await delete_segment(segments_.begin()->first);
  hot_clear();
  log_start_offset_ = next_offset_ = written_offset_ = durable_offset_ = offset;
  epochs_.truncate_from_end(-1);
  bool aborted_changed = aborted_.truncate_from_end(-1);
  if (e == log_errc::ok) e = co_await create_segment(offset);
  if (e == log_errc::ok && aborted_changed) e = co_await persist_aborted_txns();
  if (e == log_errc::ok) e = co_await persist_log_start();
  if (e == log_errc::ok && co_await epochs_.persist(io_, options_.dir) != io_errc::ok) {
    e = log_errc::storage_error;
  }
  RILL_INFO("storage", "%s: log reset to start at offset %lld", options_.dir.c_str(),
            static_cast<long long>(offset));
  rolling_ = false;
  progress_.notify_all();
  co_return e;
}

task<log_errc> partition_log::truncate_to(int64_t offset) {
  co_await wait_for_compaction();
  co_await wait_idle();
  if (offset >= next_offset_) co_return log_errc::ok;
  if (offset <= log_start_offset_ || offset <= segments_.begin()->first) {
    co_return co_await reset_to(std::max<int64_t>(offset, 0));
  }
  rolling_ = true;
  log_errc e = log_errc::ok;
  while (e == log_errc::ok && active().base_offset >= offset)
    e = co_await delete_segment(active().base_offset);
  segment& s = active();
  // Find the start of the batch holding offset: truncation keeps whole batches.
  uint64_t cut_position = s.size_bytes;
  int64_t cut_offset = s.next_offset;
  scan_options options{
      .start_position = s.index.lookup(static_cast<uint32_t>(offset - s.base_offset)),
      .end_position = s.size_bytes,
      .expected_offset = -1,
      .batch_bytes_max = std::max<size_t>(options_.batch_bytes_max, 64 << 20)};
  auto fd = co_await read_fd_of(s);
  if (!fd.ok()) co_return fd.error();
  scan_result r = co_await scan_batches(
      io_, fd.value(), options, [&](const batch_view& v, uint64_t pos, std::span<const uint8_t>) {
        if (v.last_offset() < offset) return true;
        cut_position = pos;
        cut_offset = v.base_offset();
        return false;
      });
  if (e == log_errc::ok && r.stop == scan_stop::read_error) e = log_errc::storage_error;
  if (e == log_errc::ok) e = co_await open_active_for_write();
  if (e == log_errc::ok && (co_await io_.truncate(s.write_fd, cut_position) != io_errc::ok ||
                            co_await io_.sync(s.write_fd) != io_errc::ok)) {
    e = log_errc::storage_error;
  }
  if (e == log_errc::ok) {
    s.size_bytes = s.allocated_bytes = cut_position;
    s.initialized_bytes = round_up_page(cut_position);
    s.next_offset = cut_offset;
    s.index.truncate_to_position(static_cast<uint32_t>(cut_position));
    s.timestamps.truncate_to_offset(static_cast<uint32_t>(cut_offset - s.base_offset));
    s.max_timestamp = s.timestamps.max_timestamp();
    next_offset_ = written_offset_ = cut_offset;
    durable_offset_ = std::min(durable_offset_, cut_offset);
    while (!hot_tail_.empty() && hot_tail_.back().base_offset >= cut_offset) hot_pop_back();
    epochs_.truncate_from_end(cut_offset);
    if (co_await epochs_.persist(io_, options_.dir) != io_errc::ok) e = log_errc::storage_error;
    if (e == log_errc::ok && aborted_.truncate_from_end(cut_offset)) {
      e = co_await persist_aborted_txns();
    }
    if (e == log_errc::ok) e = co_await reload_staging_tail();
    RILL_INFO("storage", "%s: truncated to offset %lld (asked %lld)", options_.dir.c_str(),
              static_cast<long long>(cut_offset), static_cast<long long>(offset));
  }
  rolling_ = false;
  progress_.notify_all();
  co_return e;
}

task<log_errc> partition_log::advance_log_start(int64_t offset) {
  RILL_ASSERT(offset <= written_offset_, "%s: log start %lld past the log end %lld",
              options_.dir.c_str(), static_cast<long long>(offset),
              static_cast<long long>(written_offset_));
  if (offset <= log_start_offset_) co_return log_errc::ok;
  co_await wait_for_compaction();
  while (segments_.size() > 1 && std::next(segments_.begin())->first <= offset) {
    log_errc e = co_await delete_segment(segments_.begin()->first);
    if (e != log_errc::ok) co_return e;
  }
  log_start_offset_ = std::max(log_start_offset_, offset);
  RILL_ASSERT(segments_.begin()->first <= log_start_offset_ || segments_.size() == 1,
              "%s: the first segment starts past the log start", options_.dir.c_str());
  epochs_.truncate_from_start(log_start_offset_);
  if (co_await epochs_.persist(io_, options_.dir) != io_errc::ok) co_return log_errc::storage_error;
  if (aborted_.truncate_from_start(log_start_offset_)) {
    if (log_errc e = co_await persist_aborted_txns(); e != log_errc::ok) co_return e;
  }
  RILL_INFO("storage", "%s: log start moved to %lld (records deleted)", options_.dir.c_str(),
            static_cast<long long>(log_start_offset_));
  co_return co_await persist_log_start();
}

task<log_errc> partition_log::apply_retention() {
  if (!options_.retention_deletes) co_return log_errc::ok;  // cleanup.policy=compact
  co_await wait_for_compaction();
  int64_t now = now_ms();
  bool deleted = false;
  while (segments_.size() > 1) {
    segment& first = *segments_.begin()->second;
    bool by_size =
        options_.retention_bytes >= 0 &&
        size_bytes() - first.size_bytes >= static_cast<uint64_t>(options_.retention_bytes);
    bool by_time = options_.retention_ms >= 0 && first.max_timestamp >= 0 &&
                   now - first.max_timestamp > options_.retention_ms;
    if (!by_size && !by_time) break;
    RILL_INFO("storage", "%s: retention deletes segment %lld (%llu bytes, %s)",
              options_.dir.c_str(), static_cast<long long>(first.base_offset),
              static_cast<unsigned long long>(first.size_bytes), by_size ? "size" : "time");
    log_errc e = co_await delete_segment(first.base_offset);
    if (e != log_errc::ok) co_return e;
    deleted = true;
  }
  if (!deleted) co_return log_errc::ok;
  log_start_offset_ = std::max(log_start_offset_, segments_.begin()->first);
  epochs_.truncate_from_start(log_start_offset_);
  if (co_await epochs_.persist(io_, options_.dir) != io_errc::ok) co_return log_errc::storage_error;
  if (aborted_.truncate_from_start(log_start_offset_)) {
    if (log_errc e = co_await persist_aborted_txns(); e != log_errc::ok) co_return e;
  }
  co_return co_await persist_log_start();
}

task<log_errc> partition_log::add_aborted_txn(const aborted_txn& t) {
  if (!aborted_.add(t)) co_return log_errc::ok;
  co_return co_await persist_aborted_txns();
}

task<log_errc> partition_log::persist_aborted_txns() {
  if (co_await aborted_.persist(io_, options_.dir) != io_errc::ok)
    co_return log_errc::storage_error;
  co_return log_errc::ok;
}

}  // namespace rill::storage
