// partition_log: opening an existing log and recovering it after a crash.
#include <algorithm>
#include <cstdio>
#include <string>

#include "base/assert.h"
#include "base/log.h"
#include "storage/index_format.h"
#include "storage/log_scanner.h"
#include "storage/page.h"
#include "storage/partition_log.h"

namespace rill::storage {
namespace {

constexpr const char* k_log_start_file = "log-start-offset";

}  // namespace

task<result<std::unique_ptr<partition_log>, log_errc>> partition_log::open(file_io& io,
                                                                           log_options options) {
  std::unique_ptr<partition_log> log(new partition_log(io, std::move(options)));
  log_errc e = co_await log->recover();
  if (e != log_errc::ok) {
    co_await log->close();
    co_return e;
  }
  co_return std::move(log);
}

task<log_errc> partition_log::recover() {
  if (io_.make_dirs(options_.dir) != io_errc::ok) co_return log_errc::storage_error;
  auto names = io_.list_dir(options_.dir);
  if (!names.ok()) co_return log_errc::storage_error;
  std::vector<int64_t> bases;
  for (const std::string& name : names.value()) {
    int64_t base = 0;
    if (parse_segment_file_name(name, &base)) bases.push_back(base);
    std::string_view n = name;
    std::string_view cleaning = index_format::cleaning_suffix;
    if (n.size() > cleaning.size() && n.substr(n.size() - cleaning.size()) == cleaning) {
      // A compaction the process did not finish: the original segment is intact.
      (void)io_.remove(options_.dir + "/" + name);
    }
  }
  std::sort(bases.begin(), bases.end());
  auto start_text = co_await read_small_file(io_, options_.dir + "/" + k_log_start_file);
  if (start_text.ok())
    log_start_offset_ = std::max<int64_t>(0, std::atoll(start_text.value().c_str()));
  if (co_await epochs_.load(io_, options_.dir) != io_errc::ok) co_return log_errc::storage_error;
  if (co_await aborted_.load(io_, options_.dir) != io_errc::ok) co_return log_errc::storage_error;
  if (bases.empty()) {
    next_offset_ = written_offset_ = durable_offset_ = log_start_offset_;
    co_return co_await create_segment(log_start_offset_);
  }
  for (int64_t base : bases) {
    auto s = std::make_unique<segment>();
    s->base_offset = s->next_offset = base;
    s->index = offset_index(options_.index_interval_bytes);
    auto rfd = co_await io_.open(segment_path(options_.dir, base, index_format::log_suffix),
                                 open_mode::read_only, direct_io::off);
    if (!rfd.ok()) co_return log_errc::storage_error;
    s->read_fd = rfd.value();
    segments_[base] = std::move(s);
  }
  int64_t clean_bytes = co_await take_clean_shutdown_marker(bases.back());
  for (auto it = segments_.begin(); it != segments_.end(); ++it) {
    bool last = std::next(it) == segments_.end();
    log_errc e = last ? co_await recover_active_segment(*it->second, clean_bytes)
                      : co_await load_closed_segment(*it->second);
    if (e != log_errc::ok) co_return e;
  }
  segment& a = active();
  next_offset_ = written_offset_ = durable_offset_ = a.next_offset;
  log_start_offset_ = std::max(log_start_offset_, segments_.begin()->first);
  epochs_.truncate_from_end(next_offset_);
  epochs_.truncate_from_start(log_start_offset_);
  // In memory only: a marker past the recovered end is gone, and the next
  // persist writes what remains.
  aborted_.truncate_from_end(next_offset_);
  aborted_.truncate_from_start(log_start_offset_);
  co_await close_read_fds();  // reopened when a read needs one
  RILL_INFO("storage", "%s: opened %zu segments, offsets [%lld, %lld), %llu bytes",
            options_.dir.c_str(), segments_.size(), static_cast<long long>(log_start_offset_),
            static_cast<long long>(next_offset_), static_cast<unsigned long long>(size_bytes()));
  co_return log_errc::ok;
}

task<log_errc> partition_log::rebuild_indexes(segment& s, uint64_t end_position) {
  s.index.clear();
  s.timestamps.clear();
  s.max_timestamp = -1;
  scan_options options{.start_position = 0,
                       .end_position = end_position,
                       .expected_offset = s.base_offset,
                       .batch_bytes_max = std::max<size_t>(options_.batch_bytes_max, 64 << 20)};
  scan_result r = co_await scan_batches(
      io_, s.read_fd, options, [&](const batch_view& v, uint64_t pos, std::span<const uint8_t> b) {
        auto relative = static_cast<uint32_t>(v.base_offset() - s.base_offset);
        s.index.on_batch(relative, static_cast<uint32_t>(pos), static_cast<uint32_t>(b.size()));
        s.timestamps.on_batch(v.max_timestamp(), relative);
        s.max_timestamp = std::max(s.max_timestamp, v.max_timestamp());
        return true;
      });
  if (r.stop == scan_stop::read_error) co_return log_errc::storage_error;
  s.size_bytes = r.valid_end;
  s.next_offset = r.valid_end == 0 ? s.base_offset : r.next_offset;
  if (r.stop != scan_stop::end_of_data || (!r.trailing_zeros && r.valid_end < end_position)) {
    RILL_WARN("storage", "recovery: %s: cut %llu bytes at position %llu (next offset %lld): %s",
              segment_path(options_.dir, s.base_offset, index_format::log_suffix).c_str(),
              static_cast<unsigned long long>(end_position - r.valid_end),
              static_cast<unsigned long long>(r.valid_end), static_cast<long long>(s.next_offset),
              scan_stop_reason(r));
  }
  co_return log_errc::ok;
}

task<log_errc> partition_log::load_closed_segment(segment& s) {
  auto size = io_.file_size(s.read_fd);
  if (!size.ok()) co_return log_errc::storage_error;
  co_return co_await load_indexed_segment(s, size.value());
}

task<log_errc> partition_log::load_indexed_segment(segment& s, uint64_t data_bytes) {
  result<uint64_t, io_errc> size = data_bytes;
  auto index_text = co_await read_small_file(
      io_, segment_path(options_.dir, s.base_offset, index_format::offset_index_suffix));
  auto time_text = co_await read_small_file(
      io_, segment_path(options_.dir, s.base_offset, index_format::time_index_suffix));
  auto as_bytes = [](const std::string& t) {
    return std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(t.data()), t.size());
  };
  bool index_ok = index_text.ok() && s.index.parse(as_bytes(index_text.value()), size.value()) &&
                  time_text.ok() && s.timestamps.parse(as_bytes(time_text.value()));
  if (!index_ok) {
    RILL_WARN("storage", "recovery: %s: index missing or damaged; rebuilding it from the log",
              segment_path(options_.dir, s.base_offset, index_format::log_suffix).c_str());
    co_return co_await rebuild_indexes(s, size.value());
  }
  // The indexes are sound: scan only the tail behind the last entry.
  uint64_t from = s.index.entries().empty() ? 0 : s.index.entries().back().position;
  int64_t expected = s.index.entries().empty() ? s.base_offset : -1;
  scan_options options{.start_position = from,
                       .end_position = size.value(),
                       .expected_offset = expected,
                       .batch_bytes_max = std::max<size_t>(options_.batch_bytes_max, 64 << 20)};
  scan_result r = co_await scan_batches(
      io_, s.read_fd, options,
      [](const batch_view&, uint64_t, std::span<const uint8_t>) { return true; });
  if (r.stop != scan_stop::end_of_data || r.valid_end != size.value()) {
    RILL_WARN("storage", "recovery: %s: closed segment damaged near its end; rebuilding",
              segment_path(options_.dir, s.base_offset, index_format::log_suffix).c_str());
    co_return co_await rebuild_indexes(s, size.value());
  }
  s.size_bytes = r.valid_end;
  s.next_offset = r.valid_end == 0 ? s.base_offset : r.next_offset;
  s.max_timestamp = s.timestamps.max_timestamp();
  co_return log_errc::ok;
}

task<log_errc> partition_log::recover_active_segment(segment& s, int64_t clean_bytes) {
  auto size = io_.file_size(s.read_fd);
  if (!size.ok()) co_return log_errc::storage_error;
  // After a clean shutdown the segment's data ends where the marker says
  // and its indexes were written: only the tail behind the last index
  // entry is read. Otherwise the whole segment is scanned.
  bool clean = clean_bytes >= 0 && static_cast<uint64_t>(clean_bytes) <= size.value();
  log_errc e = clean ? co_await load_indexed_segment(s, static_cast<uint64_t>(clean_bytes))
                     : co_await rebuild_indexes(s, size.value());
  if (e != log_errc::ok) co_return e;
  // Its age counts from now: the file's creation time is not kept, and
  // rolling at once after every restart would only add segments.
  s.created_ms = now_ms();
  e = co_await open_active_for_write();
  if (e != log_errc::ok) co_return e;
  if (size.value() != s.size_bytes) {
    // Cut torn or preallocated bytes so they can never be read as data.
    if (co_await io_.truncate(s.write_fd, s.size_bytes) != io_errc::ok ||
        co_await io_.sync(s.write_fd) != io_errc::ok) {
      co_return log_errc::storage_error;
    }
    s.allocated_bytes = s.size_bytes;
    s.initialized_bytes = round_up_page(s.size_bytes);
  }
  co_return co_await reload_staging_tail();
}

task<log_errc> partition_log::open_active_for_write() {
  segment& s = active();
  if (s.write_fd >= 0) co_return log_errc::ok;
  auto wfd = co_await io_.open(segment_path(options_.dir, s.base_offset, index_format::log_suffix),
                               open_mode::read_write, options_.direct);
  if (!wfd.ok()) co_return log_errc::storage_error;
  s.write_fd = wfd.value();
  auto size = io_.file_size(s.write_fd);
  s.allocated_bytes = size.ok() ? size.value() : 0;
  // Past the data, the file may hold unwritten (fallocate'd) extents.
  s.initialized_bytes = round_up_page(std::min(s.allocated_bytes, s.size_bytes));
  co_return log_errc::ok;
}

task<log_errc> partition_log::reload_staging_tail() {
  segment& s = active();
  uint64_t page_start = round_down_page(s.size_bytes);
  std::vector<uint8_t> tail(s.size_bytes - page_start);
  if (!tail.empty()) {
    auto fd = co_await read_fd_of(s);
    if (!fd.ok()) co_return fd.error();
    auto n = co_await io_.read_at(fd.value(), page_start, tail);
    if (!n.ok() || n.value() != tail.size()) co_return log_errc::storage_error;
  }
  replace_staging(fresh_staging(page_start, tail));
  co_return log_errc::ok;
}

task<int64_t> partition_log::take_clean_shutdown_marker(int64_t active_base) {
  std::string path = options_.dir + "/" + index_format::clean_shutdown_file;
  auto text = co_await read_small_file(io_, path);
  if (!text.ok()) co_return -1;
  // Gone before anything is written: a stale marker must never describe a
  // segment that has changed since.
  if (io_.remove(path) != io_errc::ok || io_.sync_dir(options_.dir) != io_errc::ok) {
    RILL_WARN("storage", "%s: cannot remove the clean-shutdown marker; scanning the log",
              options_.dir.c_str());
    co_return -1;
  }
  long long base = -1;
  long long bytes = -1;
  if (sscanf(text.value().c_str(), "%lld %lld", &base, &bytes) != 2 || base != active_base ||
      bytes < 0) {
    RILL_WARN("storage", "%s: clean-shutdown marker '%s' does not match segment %lld; scanning",
              options_.dir.c_str(), text.value().c_str(), static_cast<long long>(active_base));
    co_return -1;
  }
  co_return static_cast<int64_t>(bytes);
}

task<log_errc> partition_log::store_sidecar(const std::string& name, const std::string& contents) {
  io_errc e = co_await write_file_atomically(io_, options_.dir, name, contents);
  co_return e == io_errc::ok ? log_errc::ok : log_errc::storage_error;
}

task<std::optional<std::string>> partition_log::load_sidecar(const std::string& name) {
  auto text = co_await read_small_file(io_, options_.dir + "/" + name);
  if (!text.ok()) co_return std::nullopt;
  co_return std::move(text).value();
}

task<log_errc> partition_log::persist_log_start() {
  io_errc e = co_await write_file_atomically(io_, options_.dir, k_log_start_file,
                                             std::to_string(log_start_offset_));
  co_return e == io_errc::ok ? log_errc::ok : log_errc::storage_error;
}

}  // namespace rill::storage
