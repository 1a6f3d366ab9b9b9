// partition_log: preparing file space ahead of the write position, by
// fallocate or by a background zero filler (see `preallocation`).
#include <algorithm>

#include "base/assert.h"
#include "base/log.h"
#include "storage/page.h"
#include "storage/partition_log.h"

namespace rill::storage {
namespace {

constexpr size_t k_zero_chunk = 1 << 17;

const aligned_buffer& zero_chunk() {
  static const aligned_buffer zeros(k_zero_chunk, k_page);
  return zeros;
}

}  // namespace

const char* preallocation_name(preallocation p) {
  switch (p) {
    case preallocation::automatic:
      return "auto";
    case preallocation::fallocate:
      return "fallocate";
    case preallocation::zero_fill:
      return "zero";
    case preallocation::adaptive:
      return "adaptive";
  }
  return "?";
}

bool parse_preallocation(const std::string& name, preallocation* out) {
  for (preallocation p : {preallocation::automatic, preallocation::fallocate,
                          preallocation::zero_fill, preallocation::adaptive}) {
    if (name == preallocation_name(p)) {
      *out = p;
      return true;
    }
  }
  return false;
}

preallocation partition_log::effective_preallocation() const {
  if (options_.preallocate_method != preallocation::automatic) return options_.preallocate_method;
  return options_.sync_policy == durability::sync_each ? preallocation::zero_fill
                                                       : preallocation::adaptive;
}

void partition_log::note_write_size(size_t new_bytes) {
  average_write_bytes_ = (average_write_bytes_ * 7 + new_bytes) / 8;
}

// Called by the flusher before it writes [.., write_end) of the active
// segment: returns once that range may be written.
void partition_log::adapt_window() {
  constexpr int64_t k_fast_ms = 10'000;  // a window used up faster: the log is busy
  constexpr int64_t k_slow_ms = 60'000;  // slower: it is not
  int64_t now = now_ms();
  int64_t took = now - window_reserved_ms_;
  window_reserved_ms_ = now;
  uint64_t floor = std::min(options_.preallocate_bytes, options_.preallocate_initial_bytes);
  uint64_t next = window_bytes_;
  if (took < k_fast_ms) next = std::min(options_.preallocate_bytes, std::max(floor, next * 2));
  if (took > k_slow_ms) next = std::max(floor, next / 2);
  if (next == window_bytes_) return;
  if (options_.reservations == nullptr || options_.reservations->resize(window_bytes_, next)) {
    window_bytes_ = next;
  }
}

task<log_errc> partition_log::trim_idle_reservation(int64_t idle_ms) {
  if (offline_ || closing_ || segments_.empty() || active().write_fd < 0) co_return log_errc::ok;
  if (now_ms() - std::max(last_write_ms_, window_reserved_ms_) < idle_ms) co_return log_errc::ok;
  uint64_t floor = std::min(options_.preallocate_bytes, options_.preallocate_initial_bytes);
  if (active().allocated_bytes <= round_up_page(active().size_bytes) + floor &&
      window_bytes_ <= floor) {
    co_return log_errc::ok;
  }
  // No append may stage (and no write, filler or roll run) while the file
  // shrinks: a write behind the truncation could lose its tail.
  turn_queue::turn turn = co_await append_turns_.enter();
  co_await wait_idle();
  if (offline_ || closing_) co_return log_errc::ok;
  segment& s = active();
  uint64_t keep = round_up_page(s.size_bytes) + floor;
  RILL_ASSERT(staging_.fill == staging_.carried, "%s: trimming with appends staged",
              options_.dir.c_str());
  if (s.allocated_bytes > keep) {
    io_errc e = co_await io_.truncate(s.write_fd, keep);
    if (e != io_errc::ok) {
      RILL_WARN("storage", "%s: giving back preallocated space failed: %s", options_.dir.c_str(),
                io_errc_name(e));
      co_return log_errc_from_io(e);
    }
    s.allocated_bytes = keep;
    s.initialized_bytes = std::min(s.initialized_bytes, keep);
  }
  if (options_.reservations == nullptr || options_.reservations->resize(window_bytes_, floor)) {
    window_bytes_ = floor;
  }
  RILL_ASSERT(s.allocated_bytes <= keep && keep >= s.size_bytes,
              "%s: trimmed to %llu bytes with %llu of data", options_.dir.c_str(),
              static_cast<unsigned long long>(s.allocated_bytes),
              static_cast<unsigned long long>(s.size_bytes));
  co_return log_errc::ok;
}

task<log_errc> partition_log::prepare_space(segment& s, uint64_t write_end) {
  if (options_.preallocate_bytes == 0) co_return log_errc::ok;
  preallocation method = effective_preallocation();
  if (method != preallocation::zero_fill) {
    // adaptive reserves half a window early, so the zeros ahead never wait
    // for a write to pass the reserved end.
    uint64_t reserve_when_past =
        method == preallocation::adaptive ? write_end + window() / 2 : write_end;
    log_errc e = co_await fallocate_ahead(s, write_end, reserve_when_past);
    if (e != log_errc::ok || method == preallocation::fallocate) co_return e;
    co_await stop_zero_filler_behind(s, write_end);
    co_return log_errc::ok;
  }
  // Keep the filler half a window ahead, so appends rarely wait for it.
  if (write_end + window() / 2 > s.initialized_bytes) {
    if (write_end > s.initialized_bytes) adapt_window();
    zero_fill_target_ = std::max(zero_fill_target_, write_end + window());
    if (quiescing_ > 0) zero_fill_target_ = std::max(write_end, s.initialized_bytes);
    start_zero_filler(s);
  }
  while (write_end > s.initialized_bytes) {
    if (!zero_filler_running_) {
      if (zero_fill_error_ != io_errc::ok) co_return log_errc_from_io(zero_fill_error_);
      zero_fill_target_ = std::max(zero_fill_target_, write_end);
      start_zero_filler(s);
    }
    co_await progress_.wait();
  }
  co_return log_errc::ok;
}

// adaptive: the space is fallocate'd; while writes are small the filler
// zeroes it ahead of them, inside what fallocate reserved, so they become
// single overwrites. Large writes stop it: they would pay for their bytes
// twice to save a per-write cost they hardly have.
bool partition_log::zeroing_ahead() const {
  // After a failed zero write the log keeps to plain fallocate.
  return average_write_bytes_ < options_.zero_fill_below_write_bytes &&
         zero_fill_error_ == io_errc::ok;
}

task<void> partition_log::stop_zero_filler_behind(segment& s, uint64_t write_end) {
  if (!zero_filler_running_ || (write_end <= s.initialized_bytes && zeroing_ahead())) co_return;
  // Outrun, or no longer wanted: the filler must never write where data goes.
  zero_fill_target_ = 0;
  while (zero_filler_running_) co_await progress_.wait();
}

void partition_log::zero_ahead_of(segment& s, uint64_t write_end) {
  if (effective_preallocation() != preallocation::adaptive || options_.preallocate_bytes == 0 ||
      !zeroing_ahead() || quiescing_ > 0 || write_end + window() / 2 <= s.initialized_bytes)
    return;
  zero_fill_target_ =
      std::max(zero_fill_target_, std::min(write_end + window(), s.allocated_bytes));
  start_zero_filler(s);
}

task<log_errc> partition_log::fallocate_ahead(segment& s, uint64_t write_end,
                                              uint64_t reserve_when_past) {
  RILL_ASSERT(reserve_when_past >= write_end, "reserving behind the write");
  if (reserve_when_past <= s.allocated_bytes) co_return log_errc::ok;
  adapt_window();
  // The space held ahead of the data stays within the window (and so within
  // the shard's total), however early the reservation is renewed.
  uint64_t target = round_up_page(write_end + window());
  if (target <= s.allocated_bytes) co_return log_errc::ok;
  io_errc e = co_await io_.allocate(s.write_fd, s.allocated_bytes, target - s.allocated_bytes);
  if (e != io_errc::ok) {
    RILL_ERROR("storage", "%s: preallocating to %llu bytes failed: %s", options_.dir.c_str(),
               static_cast<unsigned long long>(target), io_errc_name(e));
    co_return log_errc_from_io(e);
  }
  s.allocated_bytes = target;
  co_return log_errc::ok;
}

void partition_log::start_zero_filler(segment& s) {
  if (zero_filler_running_ || zero_fill_target_ <= s.initialized_bytes) return;
  zero_filler_running_ = true;
  zero_fill_error_ = io_errc::ok;
  spawn(zero_fill_loop(s));
}

// Writes zeros from the segment's initialized end up to zero_fill_target_
// in chunks; under zero_fill it then fdatasyncs them so the extents (and the
// file size) are durable before appends land there. Roll, truncation and
// close wait for it (wait_idle), so `s` stays the open active segment while
// it runs. The flusher moves initialized_bytes only while the filler is
// stopped.
task<void> partition_log::zero_fill_loop(segment& s) {
  const aligned_buffer& zeros = zero_chunk();
  // After recovery or truncation the data may end mid-page; appends rewrite
  // that whole page, so filling starts at the next page boundary.
  s.initialized_bytes = round_up_page(s.initialized_bytes);
  bool wrote = false;
  while (s.initialized_bytes < zero_fill_target_) {
    uint64_t at = s.initialized_bytes;
    size_t n = std::min<uint64_t>(k_zero_chunk, round_up_page(zero_fill_target_) - at);
    io_errc e = co_await io_.write_at(s.write_fd, at, {zeros.data(), n});
    if (e != io_errc::ok) {
      zero_fill_error_ = e;
      RILL_ERROR("storage", "%s: zero-filling %zu bytes at %llu failed: %s", options_.dir.c_str(),
                 n, static_cast<unsigned long long>(at), io_errc_name(e));
      break;
    }
    RILL_ASSERT(s.initialized_bytes == at, "the initialized end moved under the zero filler");
    s.initialized_bytes = at + n;
    s.allocated_bytes = std::max(s.allocated_bytes, s.initialized_bytes);
    wrote = true;
    progress_.notify_all();
  }
  // A failed sync costs only speed: appends sync their own writes.
  if (wrote && zero_fills() && zero_fill_error_ == io_errc::ok) (void)co_await io_.sync(s.write_fd);
  zero_filler_running_ = false;
  progress_.notify_all();
}

}  // namespace rill::storage
