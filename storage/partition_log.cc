// partition_log: the write path (append, group commit, roll, flush).
#include "storage/partition_log.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <optional>
#include <utility>

#include "base/assert.h"
#include "base/log.h"
#include "storage/page.h"

namespace rill::storage {
const char* log_errc_name(log_errc e) {
  switch (e) {
    case log_errc::ok:
      return "ok";
    case log_errc::corrupt_batch:
      return "corrupt batch";
    case log_errc::batch_too_large:
      return "batch too large";
    case log_errc::offset_out_of_range:
      return "offset out of range";
    case log_errc::not_contiguous:
      return "batch does not start at the log end";
    case log_errc::storage_error:
      return "storage error";
    case log_errc::no_space:
      return "no space left on device";
    case log_errc::log_offline:
      return "log offline after a failed fsync";
    case log_errc::closed:
      return "log closed";
  }
  return "?";
}

log_errc log_errc_from_io(io_errc e) {
  return e == io_errc::no_space ? log_errc::no_space : log_errc::storage_error;
}

partition_log::partition_log(file_io& io, log_options options)
    : io_(io), options_(std::move(options)) {
  RILL_ASSERT(!options_.dir.empty(), "log needs a directory");
  // A segment smaller than a batch holds one batch each (maybe_roll rolls
  // only a segment that has data), as Kafka allows segment.bytes down to 14.
  RILL_ASSERT(options_.segment_bytes_max >= k_segment_bytes_min, "segment_bytes_max %llu",
              static_cast<unsigned long long>(options_.segment_bytes_max));
  options_.staging_bytes_max = round_up_page(
      std::max(options_.staging_bytes_max, 2 * options_.batch_bytes_max + 2 * k_page));
  if (options_.staging == nullptr) {
    own_staging_pool_ = std::make_unique<staging_pool>(0, options_.staging_bytes_max);
  }
  if (options_.hot_tails == nullptr) own_hot_tails_ = std::make_unique<hot_tail_cache>(0);
  pool_ = options_.staging != nullptr ? options_.staging : own_staging_pool_.get();
  hot_tails_ = options_.hot_tails != nullptr ? options_.hot_tails : own_hot_tails_.get();
  hot_member_.log = this;
  hot_tails_->join(&hot_member_);
  window_bytes_ = std::min(options_.preallocate_bytes, options_.preallocate_initial_bytes);
  window_reserved_ms_ = now_ms();
  if (options_.reservations != nullptr && !options_.reservations->resize(0, window_bytes_)) {
    window_bytes_ = 0;  // the shard's total is used up: space as the writes need it
  }
}

partition_log::~partition_log() {
  RILL_ASSERT(!flusher_running_ && !zero_filler_running_ && progress_.empty(),
              "log destroyed with work in flight");
  pool_->give_back(std::move(staging_.buffer));
  hot_clear();
  hot_tails_->leave(&hot_member_);
  if (options_.reservations != nullptr) options_.reservations->resize(window_bytes_, 0);
}

int64_t partition_log::now_ms() const {
  if (options_.now_ms) return options_.now_ms();
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

uint64_t partition_log::size_bytes() const {
  uint64_t total = 0;
  for (const auto& [base, s] : segments_) total += s->size_bytes;
  return total;
}

partition_log::staging partition_log::fresh_staging(uint64_t file_position,
                                                    std::span<const uint8_t> carried_tail,
                                                    size_t capacity_hint) {
  RILL_ASSERT(file_position % k_page == 0 && carried_tail.size() < k_page);
  staging s;
  size_t wanted = staging_pool::size_class(std::max(capacity_hint, carried_tail.size()),
                                           options_.staging_bytes_max);
  if (wanted > k_page) {
    if (std::optional<aligned_buffer> b = pool_->try_take(wanted)) s.buffer = std::move(*b);
  }
  if (s.buffer.capacity() == 0) s.buffer = pool_->take(k_page);
  s.file_position = file_position;
  if (!carried_tail.empty()) std::memcpy(s.buffer.data(), carried_tail.data(), carried_tail.size());
  s.fill = s.carried = carried_tail.size();
  s.end_offset = next_offset_;
  return s;
}

void partition_log::replace_staging(staging next) {
  // The pool wakes waiters inline (appends of this log among them): the
  // log must be consistent before the old buffer goes back.
  aligned_buffer old = std::exchange(staging_.buffer, {});
  staging_ = std::move(next);
  pool_->give_back(std::move(old));
}

bool partition_log::grow_staging(size_t incoming_bytes) {
  size_t needed = staging_.fill + incoming_bytes;
  if (needed > options_.staging_bytes_max) return false;  // the flusher must drain it first
  std::optional<aligned_buffer> bigger =
      pool_->try_take(staging_pool::size_class(needed, options_.staging_bytes_max));
  if (!bigger) return false;
  std::memcpy(bigger->data(), staging_.buffer.data(), staging_.fill);
  pool_->give_back(std::exchange(staging_.buffer, std::move(*bigger)));
  return true;
}

void partition_log::shrink_idle_staging() {
  if (staging_.fill != staging_.carried || staging_.buffer.capacity() <= k_page) return;
  staging idle = fresh_staging(staging_.file_position, {staging_.buffer.data(), staging_.carried});
  idle.end_offset = staging_.end_offset;
  replace_staging(std::move(idle));
}

task<result<append_result, log_errc>> partition_log::append(batch_bytes batch,
                                                            int32_t leader_epoch) {
  auto staged = co_await stage_append(std::move(batch), leader_epoch);
  if (!staged.ok()) co_return staged.error();
  log_errc e = co_await wait_written(staged.value());
  if (e != log_errc::ok) co_return e;
  co_return staged.value().offsets;
}

task<result<staged_append, log_errc>> partition_log::stage_append(batch_bytes batch,
                                                                  int32_t leader_epoch) {
  RILL_ASSERT(batch != nullptr);
  size_t size = 0;
  batch_errc e = validate_batch(*batch, options_.batch_bytes_max, count_check::exact, &size);
  if (e == batch_errc::bad_length && batch->size() > options_.batch_bytes_max) {
    co_return log_errc::batch_too_large;
  }
  if (e != batch_errc::ok || size != batch->size()) {
    RILL_WARN("storage", "%s: refusing batch of %zu bytes: %s", options_.dir.c_str(), batch->size(),
              e == batch_errc::ok ? "trailing bytes after the batch" : batch_errc_name(e));
    co_return log_errc::corrupt_batch;
  }
  if (options_.recompress_to) {
    // compression.type: the topic's codec, whatever the producer used.
    batch_view v(batch->data());
    if ((v.attributes() & batch_format::compression_mask) !=
        static_cast<uint16_t>(*options_.recompress_to)) {
      auto again = recompressed_batch(*batch, *options_.recompress_to, k_inflated_batch_bytes_max);
      if (!again) co_return log_errc::corrupt_batch;
      if (again->size() > options_.batch_bytes_max) co_return log_errc::batch_too_large;
      batch = std::make_shared<std::vector<uint8_t>>(std::move(*again));
      size = batch->size();
    }
  }
  turn_queue::turn turn = co_await append_turns_.enter();
  log_errc ready = co_await maybe_roll(size);
  if (ready != log_errc::ok) co_return ready;
  // No suspension from here to staging: offsets are assigned in order.
  assign_batch_offset(batch->data(), next_offset_, leader_epoch);
  int64_t append_time = -1;
  if (options_.timestamps == timestamp_type::log_append_time) {
    append_time = now_ms();
    stamp_log_append_time(batch->data(), batch->size(), append_time);
  }
  co_return stage_now(batch, append_time);
}

task<result<append_result, log_errc>> partition_log::append_replicated(batch_bytes batch) {
  RILL_ASSERT(batch != nullptr);
  size_t size = 0;
  batch_errc e = validate_batch(*batch, options_.batch_bytes_max, count_check::at_most, &size);
  if (e != batch_errc::ok || size != batch->size()) {
    RILL_WARN("storage", "%s: refusing replicated batch: %s", options_.dir.c_str(),
              batch_errc_name(e));
    co_return log_errc::corrupt_batch;
  }
  turn_queue::turn turn = co_await append_turns_.enter();
  log_errc ready = co_await maybe_roll(size);
  if (ready != log_errc::ok) co_return ready;
  if (batch_view(batch->data()).base_offset() != next_offset_) co_return log_errc::not_contiguous;
  staged_append staged = stage_now(batch, -1);
  turn.release();
  log_errc written = co_await wait_written(staged);
  if (written != log_errc::ok) co_return written;
  co_return staged.offsets;
}

void partition_log::stage(const batch_bytes& batch) {
  batch_view v(batch->data());
  segment& s = active();
  RILL_ASSERT(v.base_offset() == next_offset_, "staging offset %lld at log end %lld",
              static_cast<long long>(v.base_offset()), static_cast<long long>(next_offset_));
  RILL_ASSERT(staging_.fill + batch->size() <= staging_.buffer.capacity(), "staging overflow");
  std::memcpy(staging_.buffer.data() + staging_.fill, batch->data(), batch->size());
  staging_.fill += batch->size();
  if (s.size_bytes == 0) s.created_ms = now_ms();
  auto relative = static_cast<uint32_t>(v.base_offset() - s.base_offset);
  s.index.on_batch(relative, static_cast<uint32_t>(s.size_bytes),
                   static_cast<uint32_t>(batch->size()));
  s.timestamps.on_batch(v.max_timestamp(), relative);
  s.max_timestamp = std::max(s.max_timestamp, v.max_timestamp());
  s.size_bytes += batch->size();
  s.next_offset = v.last_offset() + 1;
  next_offset_ = s.next_offset;
  staging_.end_offset = next_offset_;
  if (epochs_.assign(v.leader_epoch(), v.base_offset())) {
    spawn([](partition_log* log) -> task<void> {
      io_errc pe = co_await log->epochs_.persist(log->io_, log->options_.dir);
      if (pe != io_errc::ok) {
        RILL_ERROR("storage", "%s: persisting the leader epoch cache failed: %s",
                   log->options_.dir.c_str(), io_errc_name(pe));
      }
    }(this));
  }
  hot_push({v.base_offset(), v.last_offset(), batch});
  counters_.appends++;
}

staged_append partition_log::stage_now(const batch_bytes& batch, int64_t log_append_ms) {
  batch_view v(batch->data());
  staged_append staged{{v.base_offset(), v.last_offset(), log_append_ms}, failure_generation_};
  stage(batch);
  start_flusher();
  return staged;
}

task<log_errc> partition_log::wait_written(const staged_append& staged) {
  co_return co_await wait_until_written(staged.offsets.last_offset + 1, staged.failure_generation);
}

task<log_errc> partition_log::wait_until_written(int64_t end_offset, uint64_t generation) {
  for (;;) {
    int64_t reached =
        options_.sync_policy == durability::sync_each ? durable_offset_ : written_offset_;
    if (reached >= end_offset) co_return log_errc::ok;
    if (failure_generation_ != generation) co_return last_failure_;
    co_await progress_.wait();
  }
}

void partition_log::start_flusher() {
  if (flusher_running_ || staging_.fill == staging_.carried) return;
  flusher_running_ = true;
  spawn(flush_loop());
}

task<void> partition_log::flush_loop() {
  while (staging_.fill > staging_.carried && !offline_) {
    bool sync = options_.sync_policy == durability::sync_each;
    staging in_flight = std::move(staging_);
    size_t full_pages = in_flight.fill / k_page * k_page;
    // A busy log keeps a buffer of the size it has been using.
    staging_ = fresh_staging(in_flight.file_position + full_pages,
                             {in_flight.buffer.data() + full_pages, in_flight.fill - full_pages},
                             in_flight.buffer.capacity());
    staging_.end_offset = in_flight.end_offset;
    log_errc e = co_await write_staged(in_flight, sync);
    if (e == log_errc::ok) {
      written_offset_ = in_flight.end_offset;
      last_write_ms_ = now_ms();  // per write, not per append: the idle trim's clock
      if (sync) {
        durable_offset_ = written_offset_;
        last_sync_ms_ = now_ms();
      }
    } else {
      fail_staged(e, in_flight);
    }
    pool_->give_back(std::move(in_flight.buffer));
    progress_.notify_all();
  }
  flusher_running_ = false;
  shrink_idle_staging();
  progress_.notify_all();
}

task<log_errc> partition_log::write_staged(staging& in_flight, bool sync) {
  segment& s = active();
  size_t length = round_up_page(in_flight.fill);
  std::memset(in_flight.buffer.data() + in_flight.fill, 0, length - in_flight.fill);
  uint64_t end = in_flight.file_position + length;
  note_write_size(in_flight.fill - in_flight.carried);
  log_errc prepared = co_await prepare_space(s, end);
  if (prepared != log_errc::ok) co_return prepared;
  // No suspension from here to the write's submission: the range is
  // claimed, and a zero filler started now begins past it.
  bool overwrite = end <= s.initialized_bytes;
  s.initialized_bytes = std::max(s.initialized_bytes, end);
  zero_ahead_of(s, end);
  std::span<const uint8_t> bytes(in_flight.buffer.data(), length);
  counters_.writes++;
  file_io::write_sync_status status;
  if (sync) {
    counters_.syncs++;
    status = co_await io_.write_and_sync(s.write_fd, in_flight.file_position, bytes);
  } else if (in_flight.carried > 0 && length > k_page && !overwrite) {
    // The carried page is on disk already and the rest is fallocate'd:
    // written apart, both halves are issued inline (see write_at_split).
    status.write = co_await io_.write_at_split(s.write_fd, in_flight.file_position, bytes, k_page);
  } else {
    status.write = co_await io_.write_at(s.write_fd, in_flight.file_position, bytes);
  }
  if (status.write != io_errc::ok) {
    RILL_ERROR("storage", "%s: write of %zu bytes at %llu failed: %s; failing the staged appends",
               options_.dir.c_str(), length,
               static_cast<unsigned long long>(in_flight.file_position),
               io_errc_name(status.write));
    co_return log_errc_from_io(status.write);
  }
  if (status.sync != io_errc::ok) {
    take_offline("fdatasync", status.sync);
    co_return log_errc::log_offline;
  }
  co_return log_errc::ok;
}

void partition_log::fail_staged(log_errc reason, const staging& failed) {
  // Everything staged after the last good write goes: the failed write and
  // whatever was appended behind it. The failed buffer starts with the tail
  // page that was already on disk, so staging restarts from it.
  segment& s = active();
  uint64_t good_end = failed.file_position + failed.carried;
  failure_generation_++;
  last_failure_ = reason;
  next_offset_ = written_offset_;
  s.next_offset = written_offset_;
  s.size_bytes = good_end;
  s.index.truncate_to_position(static_cast<uint32_t>(good_end));
  s.timestamps.truncate_to_offset(static_cast<uint32_t>(written_offset_ - s.base_offset));
  s.max_timestamp = s.timestamps.max_timestamp();
  epochs_.truncate_from_end(written_offset_);
  while (!hot_tail_.empty() && hot_tail_.back().base_offset >= written_offset_) hot_pop_back();
  replace_staging(fresh_staging(failed.file_position, {failed.buffer.data(), failed.carried}));
}

}  // namespace rill::storage
