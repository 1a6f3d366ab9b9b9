// partition_log: log compaction (cleanup.policy=compact).
//
// A pass: the cleanable segments are the closed ones wholly below the
// caller's bound (the high watermark) and older than the compaction lag.
// Those past the cleaner checkpoint are dirty; when they are at least
// min.cleanable.dirty.ratio of the cleanable bytes (or hold data older than
// max.compaction.lag.ms), the pass maps each key of the dirty segments to
// its latest offset (key_map, bounded: at least one whole segment is
// mapped, then it stops at a segment boundary) and rewrites every cleanable
// segment up to the mapped end without the records a later one of the same
// key supersedes and without tombstones older than delete.retention.ms.
// Batches keep their offsets (filter_batch), so a segment only shrinks.
// The checkpoint then moves to the mapped end. I/O goes through the
// caller's throttle.
#include <algorithm>
#include <cinttypes>
#include <cstdlib>

#include "base/assert.h"
#include "base/config.h"
#include "base/log.h"
#include "storage/compression.h"
#include "storage/index_format.h"
#include "storage/leader_epoch_cache.h"
#include "storage/log_scanner.h"
#include "storage/partition_log.h"

namespace rill::storage {
namespace {

// Bytes of rewritten batches gathered before each write of a cleaned segment.
constexpr size_t k_clean_write_bytes = 4 << 20;

// Counts a disk read in flight for as long as it holds a read descriptor.
struct cold_read {
  explicit cold_read(int* n) : count(n) { ++*count; }
  ~cold_read() { --*count; }
  cold_read(const cold_read&) = delete;
  cold_read& operator=(const cold_read&) = delete;
  int* count;
};

}  // namespace

task<int64_t> partition_log::cleaner_checkpoint() {
  if (cleaned_offset_ < 0) {
    cleaned_offset_ = log_start_offset_;
    auto text =
        co_await read_small_file(io_, options_.dir + "/" + index_format::cleaner_checkpoint_file);
    if (text.ok()) {
      std::string digits = text.value();
      while (!digits.empty() && (digits.back() == '\n' || digits.back() == ' ')) digits.pop_back();
      int64_t v = -1;
      if (parse_integer(digits, &v, integer_suffixes::none) && v >= 0) cleaned_offset_ = v;
    }
  }
  co_return std::max(cleaned_offset_, log_start_offset_);
}

task<result<compaction_stats, log_errc>> partition_log::compact(compaction_options o) {
  compaction_stats stats;
  if (compacting_ || stop_compaction_ || closing_ || offline_ || segments_.size() < 2)
    co_return stats;
  compacting_ = true;
  auto finished = [this] {
    compacting_ = false;
    progress_.notify_all();  // truncation, retention and close wait for a pass
  };
  int64_t now = now_ms();
  int64_t checkpoint = co_await cleaner_checkpoint();
  std::vector<segment*> cleanable;
  for (auto& [base, s] : segments_) {
    if (s.get() == &active() || s->next_offset > o.clean_below) break;
    if (o.min_compaction_lag_ms > 0 && s->max_timestamp > now - o.min_compaction_lag_ms) break;
    cleanable.push_back(s.get());
  }
  uint64_t clean_bytes = 0;
  uint64_t dirty_bytes = 0;
  std::vector<segment*> dirty;
  for (segment* s : cleanable) {
    if (s->next_offset <= checkpoint) {
      clean_bytes += s->size_bytes;
    } else {
      dirty_bytes += s->size_bytes;
      dirty.push_back(s);
    }
  }
  bool overdue = !dirty.empty() && o.max_compaction_lag_ms != INT64_MAX &&
                 dirty.front()->max_timestamp >= 0 &&
                 dirty.front()->max_timestamp < now - o.max_compaction_lag_ms;
  double ratio = dirty_bytes == 0 ? 0.0
                                  : static_cast<double>(dirty_bytes) /
                                        static_cast<double>(dirty_bytes + clean_bytes);
  if (dirty.empty() || (ratio < o.min_cleanable_dirty_ratio && !overdue)) {
    finished();
    co_return stats;
  }
  stats.ran = true;
  uint64_t io_bytes = 0;
  key_map map(std::max<size_t>(1024, o.key_map_bytes / key_map::k_bytes_per_entry));
  int64_t mapped_to = checkpoint;
  log_errc e = co_await build_key_map(dirty, &map, o, &io_bytes, &mapped_to);
  for (size_t i = 0; e == log_errc::ok && i < cleanable.size(); ++i) {
    int64_t base = cleanable[i]->base_offset;
    if (base >= mapped_to || stop_compaction_) break;
    auto it = segments_.find(base);
    if (it == segments_.end() || it->second.get() != cleanable[i]) break;  // deleted meanwhile
    e = co_await clean_segment(*cleanable[i], map, o, now, &io_bytes, &stats);
  }
  if (e == log_errc::ok && mapped_to > checkpoint) {
    cleaned_offset_ = mapped_to;
    if (co_await write_file_atomically(io_, options_.dir, index_format::cleaner_checkpoint_file,
                                       std::to_string(mapped_to)) != io_errc::ok) {
      e = log_errc::storage_error;
    }
  }
  stats.keys = map.size();
  stats.cleaned_to = mapped_to;
  // The hot tail still holds the batches as they were appended: reads of
  // what was compacted go to the rewritten files instead.
  if (stats.segments_rewritten > 0) {
    while (!hot_tail_.empty() && hot_tail_.front().last_offset < mapped_to) hot_pop_front();
  }
  if (cold_reads_ == 0) co_await close_retired_fds();
  finished();
  if (e != log_errc::ok) co_return e;
  if (stats.segments_rewritten > 0) {
    RILL_INFO("storage",
              "%s: compacted %d segments below offset %lld: %llu -> %llu bytes, %lld records "
              "removed, %zu keys (dirty ratio %.2f)",
              options_.dir.c_str(), stats.segments_rewritten, static_cast<long long>(mapped_to),
              static_cast<unsigned long long>(stats.bytes_before),
              static_cast<unsigned long long>(stats.bytes_after),
              static_cast<long long>(stats.records_removed), stats.keys, ratio);
  }
  co_return stats;
}

task<log_errc> partition_log::build_key_map(const std::vector<segment*>& dirty, key_map* map,
                                            const compaction_options& o, uint64_t* io_bytes,
                                            int64_t* mapped_to) {
  for (segment* s : dirty) {
    cold_read reading(&cold_reads_);
    auto fd = co_await read_fd_of(*s);
    if (!fd.ok()) co_return fd.error();
    scan_options options{.start_position = 0,
                         .end_position = s->size_bytes,
                         .expected_offset = s->base_offset,
                         .batch_bytes_max = std::max<size_t>(options_.batch_bytes_max, 64 << 20)};
    scan_result r = co_await scan_batches(
        io_, fd.value(), options, [&](const batch_view& v, uint64_t, std::span<const uint8_t> b) {
          if (v.is_control() ||
              (v.is_transactional() && aborted_.contains_batch(v.producer_id(), v.base_offset()))) {
            return true;  // markers stay; an aborted transaction's records never count
          }
          std::optional<std::vector<uint8_t>> plain = inflated_batch(b, k_inflated_batch_bytes_max);
          if (!plain) return true;  // kept whole by the rewrite too
          record_reader records(*plain);
          while (auto rec = records.next()) {
            if (rec->key) map->put(*rec->key, rec->offset);
          }
          return true;
        });
    if (r.stop != scan_stop::end_of_data) {
      RILL_ERROR("storage", "%s: compaction cannot read segment %lld: %s", options_.dir.c_str(),
                 static_cast<long long>(s->base_offset), scan_stop_reason(r));
      co_return log_errc::storage_error;
    }
    *mapped_to = s->next_offset;
    *io_bytes += s->size_bytes;
    if (o.throttle) co_await o.throttle(*io_bytes);
    if (map->full() || stop_compaction_) break;  // the next pass maps the rest
  }
  co_return log_errc::ok;
}

task<log_errc> partition_log::clean_segment(segment& s, const key_map& map,
                                            const compaction_options& o, int64_t now,
                                            uint64_t* io_bytes, compaction_stats* stats) {
  RILL_ASSERT(&s != &active(), "%s: compaction of the active segment", options_.dir.c_str());
  cold_read reading(&cold_reads_);
  auto in = co_await read_fd_of(s);
  if (!in.ok()) co_return in.error();
  std::string cleaned_path =
      segment_path(options_.dir, s.base_offset, index_format::cleaning_suffix);
  (void)io_.remove(cleaned_path);
  auto out = co_await io_.open(cleaned_path, open_mode::create_read_write, direct_io::off);
  if (!out.ok()) co_return log_errc_from_io(out.error());
  bool batch_aborted = false;  // the batch being filtered belongs to an aborted transaction
  auto keep = [&](const record_view& r) {
    if (batch_aborted) return false;  // read_committed consumers never see it; nobody needs it
    if (!r.key) return true;          // nothing to compare a keyless record with
    std::optional<int64_t> latest = map.latest(*r.key);
    if (latest && *latest > r.offset) return false;  // a later record of its key supersedes it
    return r.value.has_value() || r.timestamp_ms >= now - o.delete_retention_ms;
  };
  offset_index index(options_.index_interval_bytes);
  time_index timestamps;
  std::vector<uint8_t> pending;
  uint64_t read_position = 0;
  uint64_t written = 0;
  int64_t removed = 0;
  log_errc e = log_errc::ok;
  while (e == log_errc::ok && read_position < s.size_bytes) {
    scan_options options{.start_position = read_position,
                         .end_position = s.size_bytes,
                         .expected_offset = -1,
                         .batch_bytes_max = std::max<size_t>(options_.batch_bytes_max, 64 << 20)};
    scan_result r = co_await scan_batches(
        io_, in.value(), options, [&](const batch_view& v, uint64_t, std::span<const uint8_t> b) {
          batch_aborted = v.is_transactional() && !v.is_control() &&
                          aborted_.contains_batch(v.producer_id(), v.base_offset());
          filtered_batch f = filter_batch(b, keep);
          auto relative = static_cast<uint32_t>(v.base_offset() - s.base_offset);
          index.on_batch(relative, static_cast<uint32_t>(written + pending.size()),
                         static_cast<uint32_t>(f.bytes.size()));
          timestamps.on_batch(v.max_timestamp(), relative);
          pending.insert(pending.end(), f.bytes.begin(), f.bytes.end());
          removed += f.removed;
          return pending.size() < k_clean_write_bytes;
        });
    if (r.stop != scan_stop::end_of_data && r.stop != scan_stop::stopped) {
      RILL_ERROR("storage", "%s: compaction stopped in segment %lld: %s", options_.dir.c_str(),
                 static_cast<long long>(s.base_offset), scan_stop_reason(r));
      e = log_errc::storage_error;
      break;
    }
    read_position = r.valid_end;
    if (!pending.empty()) {
      io_errc w = co_await io_.write_at(out.value(), written, pending);
      if (w != io_errc::ok) e = log_errc_from_io(w);
      written += pending.size();
      *io_bytes += pending.size();
      pending.clear();
    }
    *io_bytes += r.valid_end - options.start_position;
    if (o.throttle) co_await o.throttle(*io_bytes);
    if (r.stop == scan_stop::end_of_data) break;
  }
  if (e == log_errc::ok && removed > 0) {
    io_errc synced = co_await io_.sync(out.value());
    if (synced != io_errc::ok) e = log_errc_from_io(synced);
  }
  (void)co_await io_.close(out.value());
  bool still_there = segments_.count(s.base_offset) == 1 && !stop_compaction_;
  if (e != log_errc::ok || removed == 0 || !still_there) {
    (void)io_.remove(cleaned_path);
    co_return e;
  }
  stats->bytes_before += s.size_bytes;
  stats->bytes_after += written;
  stats->records_removed += removed;
  ++stats->segments_rewritten;
  co_return co_await swap_cleaned_segment(s, std::move(index), std::move(timestamps), written);
}

task<log_errc> partition_log::swap_cleaned_segment(segment& s, offset_index index,
                                                   time_index timestamps, uint64_t size_bytes) {
  // The old indexes go first: should the process die between the rename and
  // the new index files, the open rebuilds them from the (new) log.
  (void)io_.remove(segment_path(options_.dir, s.base_offset, index_format::offset_index_suffix));
  (void)io_.remove(segment_path(options_.dir, s.base_offset, index_format::time_index_suffix));
  io_errc renamed =
      io_.rename(segment_path(options_.dir, s.base_offset, index_format::cleaning_suffix),
                 segment_path(options_.dir, s.base_offset, index_format::log_suffix));
  if (renamed != io_errc::ok || io_.sync_dir(options_.dir) != io_errc::ok) {
    co_return log_errc::storage_error;
  }
  // From here on the segment is the new file. Reads in flight keep the old
  // descriptor (and so the old file); new ones open the new file.
  if (s.read_fd >= 0) retired_fds_.push_back(std::exchange(s.read_fd, -1));
  ++s.file_generation;
  s.index = std::move(index);
  s.timestamps = std::move(timestamps);
  s.size_bytes = size_bytes;
  co_return co_await write_indexes(s);
}

task<void> partition_log::close_retired_fds() {
  std::vector<int> fds = std::move(retired_fds_);
  retired_fds_.clear();
  for (int fd : fds) (void)co_await io_.close(fd);
}

task<void> partition_log::wait_for_compaction() {
  while (compacting_) co_await progress_.wait();
}

}  // namespace rill::storage
