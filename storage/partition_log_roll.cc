// partition_log: segment roll, explicit flushes and close.
#include <algorithm>

#include "base/assert.h"
#include "base/log.h"
#include "storage/index_format.h"
#include "storage/partition_log.h"

namespace rill::storage {
namespace {

task<log_errc> write_whole_file(file_io& io, const std::string& path, std::vector<uint8_t> bytes) {
  auto fd = co_await io.open(path, open_mode::create_read_write, direct_io::off);
  if (!fd.ok()) co_return log_errc::storage_error;
  io_errc e = co_await io.truncate(fd.value(), 0);
  if (e == io_errc::ok && !bytes.empty()) {
    auto status = co_await io.write_and_sync(fd.value(), 0, bytes);
    e = status.write != io_errc::ok ? status.write : status.sync;
  }
  (void)co_await io.close(fd.value());
  co_return e == io_errc::ok ? log_errc::ok : log_errc::storage_error;
}

}  // namespace

task<log_errc> partition_log::maybe_roll(size_t incoming_bytes) {
  for (;;) {
    if (offline_) co_return log_errc::log_offline;
    if (closing_) co_return log_errc::closed;
    if (!rolling_ && staging_.fill + incoming_bytes > staging_.buffer.capacity() &&
        !grow_staging(incoming_bytes)) {
      // Back-pressure: the buffer is at its largest (wait for the flusher
      // to drain it) or the shard's staging memory is used up (wait for any
      // log's write to give some back).
      start_flusher();
      if (staging_.fill + incoming_bytes <= options_.staging_bytes_max) {
        pool_->note_wait();
        co_await pool_->wait();
      } else {
        co_await progress_.wait();
      }
      continue;
    }
    if (rolling_) {
      co_await progress_.wait();
      continue;
    }
    segment& s = active();
    bool too_big = s.size_bytes > 0 && s.size_bytes + incoming_bytes > options_.segment_bytes_max;
    bool too_old = s.size_bytes > 0 && now_ms() - s.created_ms >= options_.segment_ms_max;
    if (!too_big && !too_old) co_return log_errc::ok;
    log_errc e = co_await roll();
    if (e != log_errc::ok) co_return e;
  }
}

task<void> partition_log::wait_idle() {
  // The zero filler stops after its current chunk; a write still waiting
  // for space raises the target only as far as it needs.
  ++quiescing_;
  zero_fill_target_ = 0;
  while (flusher_running_ || staging_.fill > staging_.carried || zero_filler_running_) {
    if (staging_.fill > staging_.carried) start_flusher();
    co_await progress_.wait();
    if (offline_ && !zero_filler_running_) break;
  }
  --quiescing_;
}

task<log_errc> partition_log::roll() {
  rolling_ = true;
  co_await wait_idle();
  log_errc e = offline_ ? log_errc::log_offline : log_errc::ok;
  segment* old = &active();
  if (e == log_errc::ok && old->next_offset != next_offset_) e = log_errc::storage_error;
  if (e == log_errc::ok) e = co_await create_segment(next_offset_);
  if (e == log_errc::ok) e = co_await finalize_segment(*old);
  if (e == log_errc::ok) {
    RILL_INFO("storage", "%s: rolled to a new segment at offset %lld", options_.dir.c_str(),
              static_cast<long long>(next_offset_));
  }
  rolling_ = false;
  progress_.notify_all();
  co_return e;
}

task<log_errc> partition_log::finalize_segment(segment& s) {
  RILL_ASSERT(s.write_fd >= 0, "finalizing a segment that is not open for writing");
  // Drop the preallocated tail so the closed segment's size is its data.
  io_errc truncated = co_await io_.truncate(s.write_fd, s.size_bytes);
  // Appends written since the last sync are in this file and the next
  // flush() syncs only the new active segment: without this sync they
  // would never become durable, so a failure leaves the log offline.
  io_errc synced = co_await io_.sync(s.write_fd);
  if (synced != io_errc::ok) {
    take_offline("fdatasync of a finished segment", synced);
    co_return log_errc::log_offline;
  }
  if (truncated != io_errc::ok) {
    RILL_ERROR("storage", "%s: finalizing segment %lld failed: truncate: %s", options_.dir.c_str(),
               static_cast<long long>(s.base_offset), io_errc_name(truncated));
    co_return log_errc::storage_error;
  }
  s.allocated_bytes = s.size_bytes;
  (void)co_await io_.close(s.write_fd);
  s.write_fd = -1;
  // Indexes are rebuilt when missing, so a failure here costs only time.
  if (co_await write_indexes(s) != log_errc::ok) {
    RILL_WARN("storage", "%s: writing the indexes of segment %lld failed", options_.dir.c_str(),
              static_cast<long long>(s.base_offset));
  }
  co_return log_errc::ok;
}

task<log_errc> partition_log::create_segment(int64_t base_offset) {
  auto s = std::make_unique<segment>();
  s->base_offset = s->next_offset = base_offset;
  s->index = offset_index(options_.index_interval_bytes);
  std::string path = segment_path(options_.dir, base_offset, index_format::log_suffix);
  auto wfd = co_await io_.open(path, open_mode::create_read_write, options_.direct);
  if (!wfd.ok()) {
    RILL_ERROR("storage", "%s: creating %s failed: %s", options_.dir.c_str(), path.c_str(),
               io_errc_name(wfd.error()));
    co_return log_errc_from_io(wfd.error());
  }
  s->write_fd = wfd.value();
  s->created_ms = now_ms();
  if (io_.sync_dir(options_.dir) != io_errc::ok) {
    RILL_WARN("storage", "%s: syncing the directory after creating %s failed", options_.dir.c_str(),
              path.c_str());
  }
  segments_[base_offset] = std::move(s);
  replace_staging(fresh_staging(0, {}));
  co_return log_errc::ok;
}

void partition_log::take_offline(const char* what, io_errc e) {
  offline_ = true;
  failure_generation_++;
  last_failure_ = log_errc::log_offline;
  RILL_ERROR("storage",
             "%s: %s failed (%s): durability of the log is unknown; the log is now "
             "offline and refuses appends",
             options_.dir.c_str(), what, io_errc_name(e));
  progress_.notify_all();
}

task<log_errc> partition_log::flush() {
  co_await wait_idle();
  if (offline_) co_return log_errc::log_offline;
  int64_t target = written_offset_;
  if (durable_offset_ >= target) co_return log_errc::ok;
  counters_.syncs++;
  io_errc e = co_await io_.sync(active().write_fd);
  if (e != io_errc::ok) {
    take_offline("fdatasync", e);
    co_return log_errc::log_offline;
  }
  durable_offset_ = std::max(durable_offset_, target);
  last_sync_ms_ = now_ms();
  progress_.notify_all();
  co_return log_errc::ok;
}

task<log_errc> partition_log::flush_if_due() {
  if (options_.sync_policy != durability::sync_interval) co_return log_errc::ok;
  if (durable_offset_ >= written_offset_ && staging_.fill == staging_.carried)
    co_return log_errc::ok;
  if (now_ms() - last_sync_ms_ < options_.flush_interval_ms) co_return log_errc::ok;
  co_return co_await flush();
}

task<log_errc> partition_log::write_indexes(segment& s) {
  log_errc e = co_await write_whole_file(
      io_, segment_path(options_.dir, s.base_offset, index_format::offset_index_suffix),
      s.index.serialize());
  if (e != log_errc::ok) co_return e;
  co_return co_await write_whole_file(
      io_, segment_path(options_.dir, s.base_offset, index_format::time_index_suffix),
      s.timestamps.serialize());
}

task<void> partition_log::write_clean_shutdown_marker() {
  segment& s = active();
  if (s.write_fd < 0 || durable_offset_ != written_offset_ || next_offset_ != written_offset_) {
    co_return;
  }
  log_errc e = co_await write_indexes(s);
  std::string marker = std::to_string(s.base_offset) + " " + std::to_string(s.size_bytes) + "\n";
  if (e != log_errc::ok ||
      co_await write_file_atomically(io_, options_.dir, index_format::clean_shutdown_file,
                                     marker) != io_errc::ok) {
    RILL_WARN("storage", "%s: no clean-shutdown marker (the next open scans the log)",
              options_.dir.c_str());
  }
}

task<void> partition_log::close() {
  stop_compaction_ = true;
  co_await wait_for_compaction();
  co_await wait_idle();
  closing_ = true;
  // A clean close makes everything durable, whatever the policy, and leaves
  // the marker that spares the next open a scan of the active segment.
  if (!offline_ && !segments_.empty()) {
    if (co_await flush() == log_errc::ok) co_await write_clean_shutdown_marker();
  }
  for (auto& [base, s] : segments_) {
    if (s->write_fd >= 0) {
      (void)co_await io_.close(s->write_fd);
      s->write_fd = -1;
    }
    if (s->read_fd >= 0) {
      (void)co_await io_.close(s->read_fd);
      s->read_fd = -1;
    }
  }
  progress_.notify_all();
}

}  // namespace rill::storage
