#include "dataplane/partition/partition_replica.h"

#include <algorithm>
#include <chrono>
#include <vector>

#include "base/assert.h"
#include "base/log.h"
#include "platform/runtime/clock.h"
#include "storage/compression.h"
#include "storage/control_batch.h"
#include "storage/record_batch.h"
#include "storage/record_reader.h"

namespace rill::partition {
namespace {

// The open transactions' checkpoint beside the log, and how often it is
// rewritten while they change.
constexpr const char* k_txn_checkpoint_file = "open-transactions";
constexpr uint64_t k_txn_checkpoint_interval_ns = 5000 * runtime::k_ns_per_ms;

int64_t wall_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

const char* replica_role_name(replica_role r) {
  switch (r) {
    case replica_role::leader:
      return "leader";
    case replica_role::follower:
      return "follower";
    case replica_role::offline:
      return "offline";
  }
  return "?";
}

const char* partition_errc_name(partition_errc e) {
  switch (e) {
    case partition_errc::ok:
      return "ok";
    case partition_errc::unknown_partition:
      return "unknown partition";
    case partition_errc::not_leader:
      return "not the leader";
    case partition_errc::offset_out_of_range:
      return "offset out of range";
    case partition_errc::corrupt_batch:
      return "corrupt batch";
    case partition_errc::batch_too_large:
      return "batch too large";
    case partition_errc::not_enough_replicas:
      return "not enough in-sync replicas";
    case partition_errc::not_enough_replicas_after_append:
      return "not enough in-sync replicas after append";
    case partition_errc::request_timed_out:
      return "request timed out";
    case partition_errc::storage_error:
      return "storage error";
    case partition_errc::out_of_order_sequence:
      return "out of order sequence";
    case partition_errc::fenced_producer_epoch:
      return "fenced producer epoch";
    case partition_errc::fenced_leader_epoch:
      return "fenced leader epoch";
    case partition_errc::unknown_leader_epoch:
      return "unknown leader epoch";
    case partition_errc::invalid_request:
      return "invalid request";
    case partition_errc::invalid_record:
      return "invalid record";
    case partition_errc::policy_violation:
      return "policy violation";
  }
  return "?";
}

int64_t steady_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

namespace {

partition_errc from_log(storage::log_errc e) {
  switch (e) {
    case storage::log_errc::ok:
      return partition_errc::ok;
    case storage::log_errc::corrupt_batch:
      return partition_errc::corrupt_batch;
    case storage::log_errc::batch_too_large:
      return partition_errc::batch_too_large;
    case storage::log_errc::offset_out_of_range:
      return partition_errc::offset_out_of_range;
    case storage::log_errc::not_contiguous:
      return partition_errc::invalid_request;
    case storage::log_errc::storage_error:
    case storage::log_errc::no_space:
    case storage::log_errc::log_offline:
    case storage::log_errc::closed:
      return partition_errc::storage_error;
  }
  return partition_errc::storage_error;
}

// Splits a record set into its batches (validated by the log later).
bool split_batches(std::span<const uint8_t> records, std::vector<std::pair<size_t, size_t>>* out) {
  size_t at = 0;
  while (at < records.size()) {
    if (records.size() - at < storage::batch_format::header_bytes) return false;
    size_t size = storage::batch_view(records.data() + at).size_bytes();
    if (size < storage::batch_format::header_bytes || size > records.size() - at) return false;
    out->emplace_back(at, size);
    at += size;
  }
  return !out->empty();
}

bool contains(const std::vector<int32_t>& v, int32_t x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

}  // namespace

partition_replica::partition_replica(runtime::shard& s, std::string topic, int32_t index,
                                     std::unique_ptr<storage::partition_log> log,
                                     replica_options options)
    : shard_(&s),
      topic_(std::move(topic)),
      index_(index),
      log_(std::move(log)),
      options_(std::move(options)) {}

replica_report partition_replica::report(int64_t now_ms) const {
  replica_report r{.role = role_,
                   .health = health_,
                   .leader_id = leader_id_,
                   .leader_epoch = leader_epoch_,
                   .log_start_offset = log_->log_start_offset(),
                   .log_end_offset = log_->log_end_offset(),
                   .high_watermark = high_watermark_,
                   .last_stable_offset = txns_.stable_offset(high_watermark_),
                   .open_transactions = txns_.open_count(),
                   .size_bytes = log_->size_bytes(),
                   .replicas = replicas_.size(),
                   .isr = isr_.size(),
                   .min_insync_replicas = options_.min_insync_replicas};
  if (role_ == replica_role::leader && tracker_) r.followers = tracker_->lags(now_ms);
  RILL_ASSERT(r.high_watermark <= r.log_end_offset || role_ != replica_role::leader,
              "%s-%d: high watermark %lld past the log end %lld", topic_.c_str(), index_,
              static_cast<long long>(r.high_watermark), static_cast<long long>(r.log_end_offset));
  return r;
}

namespace {
constexpr uint64_t k_producer_state_scan_bytes = 64ULL << 20;
// A replica stopped by a full disk serves again once this much is free.
constexpr uint64_t k_disk_free_to_resume_bytes = 64ULL << 20;
}  // namespace

task<void> partition_replica::restore_producer_state() {
  // Always from nothing: what is in memory may describe batches the log no
  // longer holds (a truncation, a dropped staged append).
  producers_ = producer_state{};
  txns_.clear();
  rebuild_producer_state_ = false;
  int64_t offset = log_->offset_bytes_before_end(k_producer_state_scan_bytes);
  // A transaction open at the last checkpoint may have begun before the
  // window: read from its first batch, so that its marker closes it and an
  // abort reaches the aborted index.
  if (std::optional<std::string> text = co_await log_->load_sidecar(k_txn_checkpoint_file)) {
    if (std::optional<int64_t> from = transaction_state::restore_from(*text)) {
      offset = std::max(std::min(offset, *from), log_->log_start_offset());
    } else {
      RILL_WARN("partition", "%s-%d: %s is damaged; transactions are read from the last %llu MiB",
                topic_.c_str(), index_, k_txn_checkpoint_file,
                static_cast<unsigned long long>(k_producer_state_scan_bytes >> 20));
    }
  }
  size_t batches = 0;
  while (offset < log_end_offset()) {
    auto r = co_await log_->read(offset, 1 << 20, log_end_offset());
    if (!r.ok() || r.value().slices.empty()) break;
    for (const storage::batch_slice& slice : r.value().slices) {
      size_t at = 0;
      while (at + storage::batch_format::header_bytes <= slice.bytes.size()) {
        storage::batch_view v(slice.bytes.data() + at);
        if (v.producer_id() >= 0 && (v.is_control() || v.base_sequence() < 0)) {
          (void)producers_.observe_epoch(v.producer_id(), v.producer_epoch());
        } else if (v.producer_id() >= 0) {
          producers_.observe({v.producer_id(), v.producer_epoch(), v.base_sequence(),
                              v.base_sequence() + v.last_offset_delta(), v.max_timestamp()},
                             v.base_offset());
        }
        co_await observe_transaction(slice.bytes.subspan(at, v.size_bytes()));
        offset = v.last_offset() + 1;
        at += v.size_bytes();
        ++batches;
      }
    }
  }
  co_await log_->release_read_descriptors();
  if (producers_.producer_count() > 0) {
    RILL_INFO("partition", "%s-%d: restored %zu producers from the last %zu batches",
              topic_.c_str(), index_, producers_.producer_count(), batches);
  }
}

task<void> partition_replica::observe_transaction(std::span<const uint8_t> batch) {
  storage::batch_view v(batch.data());
  if (!v.is_transactional() || v.producer_id() < 0) co_return;
  std::optional<storage::aborted_txn> aborted =
      txns_.observe({.producer_id = v.producer_id(),
                     .base_offset = v.base_offset(),
                     .last_offset = v.last_offset(),
                     .transactional = true,
                     .marker = v.is_control() ? storage::read_marker(batch) : std::nullopt});
  if (aborted) note_log_result(co_await log_->add_aborted_txn(*aborted));
}

void partition_replica::update(const control::partition_info& info) {
  const int32_t me = options_.broker_id;
  // A snapshot older than what this replica already knows (an ISR change
  // the controller accepted and answered before its metadata caught up)
  // must not roll the ISR back: a smaller ISR would let the high watermark
  // pass a member the controller still counts on.
  if (info.leader_epoch < leader_epoch_ ||
      (info.leader_epoch == leader_epoch_ && info.partition_epoch < partition_epoch_)) {
    return;
  }
  replica_role role = info.leader == me                                 ? replica_role::leader
                      : info.leader >= 0 && contains(info.replicas, me) ? replica_role::follower
                                                                        : replica_role::offline;
  // A replica whose log failed neither leads nor follows, whatever a
  // snapshot from before the controller heard of it says.
  if (health_ != log_health::healthy || contains(info.offline_replicas, me)) {
    role = replica_role::offline;
  }
  bool new_leadership = role == replica_role::leader &&
                        (role_ != replica_role::leader || info.leader_epoch != leader_epoch_);
  replicas_ = info.replicas;
  isr_ = info.isr;
  partition_epoch_ = info.partition_epoch;
  if (role != role_ || info.leader_epoch != leader_epoch_) {
    RILL_INFO("partition",
              "%s-%d: %s at leader epoch %d (leader %d), log end %lld, high watermark %lld",
              topic_.c_str(), index_, replica_role_name(role), info.leader_epoch, info.leader,
              static_cast<long long>(log_end_offset()), static_cast<long long>(high_watermark_));
  }
  role_ = role;
  leader_id_ = info.leader;
  leader_epoch_ = info.leader_epoch;
  if (role_ != replica_role::leader) {
    tracker_.reset();
  } else if (new_leadership || !tracker_) {
    tracker_ = std::make_unique<replication::isr_tracker>(replication::isr_tracker_options{
        .self = ids::broker{me},
        .replicas = info.replicas,
        .isr = info.isr,
        .min_insync = options_.min_insync_replicas,
        .lag_max_ms = options_.replica_lag_time_max_ms,
        .high_watermark = ids::offset{std::min(high_watermark_, log_end_offset())},
        .now_ms = steady_clock_ms()});
    ++tracker_generation_;
  } else {
    tracker_->on_metadata(info.replicas, info.isr, steady_clock_ms());
  }
  RILL_ASSERT((role_ == replica_role::leader) == (tracker_ != nullptr),
              "%s-%d: a tracker exactly while leading", topic_.c_str(), index_);
  advance_high_watermark();
  notify_waiters();
}

void partition_replica::notify_waiters() {
  data_arrived_.notify_all();
  if (options_.shard_activity != nullptr) options_.shard_activity->notify_all();
}

void partition_replica::advance_high_watermark() {
  if (!tracker_) return;
  tracker_->on_leader_append(ids::offset{log_end_offset()});
  if (tracker_->high_watermark() > high_watermark_) {
    high_watermark_ = tracker_->high_watermark();
    (void)txns_.last_stable_offset(high_watermark_);  // forgets what the HW passed
    notify_waiters();
  }
}

partition_errc partition_replica::check_leadership(ids::leader_epoch current) const {
  if (role_ != replica_role::leader) return partition_errc::not_leader;
  RILL_ASSERT(tracker_ != nullptr, "%s-%d leads without an ISR tracker", topic_.c_str(), index_);
  const int32_t epoch = current.value();
  if (epoch < 0 || epoch == leader_epoch_) return partition_errc::ok;
  return epoch < leader_epoch_ ? partition_errc::fenced_leader_epoch
                               : partition_errc::unknown_leader_epoch;
}

task<produce_outcome> partition_replica::produce(storage::batch_bytes records, int16_t acks,
                                                 int32_t timeout_ms) {
  return produce_from(std::move(records), acks, timeout_ms, batch_origin::client);
}

task<produce_outcome> partition_replica::write_marker(int64_t producer_id, int16_t producer_epoch,
                                                      storage::txn_marker marker,
                                                      int32_t timeout_ms) {
  RILL_ASSERT(producer_id >= 0, "%s-%d: a marker of producer %lld", topic_.c_str(), index_,
              static_cast<long long>(producer_id));
  auto batch = std::make_shared<std::vector<uint8_t>>(
      storage::build_marker_batch(producer_id, producer_epoch, marker, wall_clock_ms()));
  return produce_from(std::move(batch), -1, timeout_ms, batch_origin::coordinator);
}

task<produce_outcome> partition_replica::produce_from(storage::batch_bytes records, int16_t acks,
                                                      int32_t timeout_ms, batch_origin origin) {
  // The turn is taken before anything can suspend: produce requests are
  // appended in the order they reach this replica, which is the order one
  // connection sent them (see kafka_connection), whatever waits for memory,
  // disk or a segment roll any of them meets on the way.
  turn_queue::turn turn = co_await produce_turns_.enter();
  if (role_ != replica_role::leader) co_return produce_outcome{partition_errc::not_leader};
  if (rebuild_producer_state_) co_await restore_producer_state();
  if (options_.lease != nullptr && !options_.lease->valid(runtime::monotonic_ns()))
    co_return produce_outcome{partition_errc::not_leader};
  if (records == nullptr || records->empty())
    co_return produce_outcome{partition_errc::corrupt_batch};
  RILL_ASSERT(tracker_ != nullptr, "%s-%d leads without an ISR tracker", topic_.c_str(), index_);
  if (acks == -1 && static_cast<int32_t>(tracker_->isr_size()) < options_.min_insync_replicas) {
    co_return produce_outcome{partition_errc::not_enough_replicas};
  }
  uint64_t deadline = runtime::monotonic_ns() +
                      static_cast<uint64_t>(std::max(timeout_ms, 0)) * runtime::k_ns_per_ms;
  int32_t epoch = leader_epoch_;
  std::vector<std::pair<size_t, size_t>> spans;
  if (!split_batches(*records, &spans)) co_return produce_outcome{partition_errc::corrupt_batch};
  // Stage every batch of the request back to back, then let the next
  // request in, then wait for the writes: requests queue only for staging,
  // and concurrent ones still share a write and an fsync.
  std::vector<pending_append> pending;
  pending.reserve(spans.size());
  produce_outcome failed;
  for (const auto& [at, size] : spans) {
    storage::batch_bytes one = records;
    if (spans.size() > 1) {
      one = std::make_shared<std::vector<uint8_t>>(
          records->begin() + static_cast<std::ptrdiff_t>(at),
          records->begin() + static_cast<std::ptrdiff_t>(at + size));
    }
    if (role_ != replica_role::leader || leader_epoch_ != epoch) {
      failed = produce_outcome{partition_errc::not_leader};
      break;
    }
    failed = co_await stage_one(std::move(one), origin, &pending);
    if (failed.error != partition_errc::ok) break;
  }
  turn.release();
  produce_outcome first = co_await finish_appends(pending);
  if (failed.error != partition_errc::ok) co_return failed;
  if (first.error != partition_errc::ok) co_return first;
  RILL_ASSERT(pending.size() == spans.size(), "%s-%d: %zu of %zu batches appended", topic_.c_str(),
              index_, pending.size(), spans.size());
  first.last_offset = pending.back().offsets().last_offset;
  if (acks == -1) {
    partition_errc e = co_await wait_for_commit(first.last_offset + 1, epoch, deadline);
    if (e != partition_errc::ok) co_return produce_outcome{e};
  }
  first.log_start_offset = log_->log_start_offset();
  co_return first;
}

task<partition_errc> partition_replica::wait_for_commit(int64_t end_offset, int32_t epoch,
                                                        uint64_t deadline_ns) {
  for (;;) {
    if (role_ != replica_role::leader || leader_epoch_ != epoch)
      co_return partition_errc::not_leader;
    if (high_watermark_ >= end_offset) {
      bool enough = static_cast<int32_t>(tracker_->isr_size()) >= options_.min_insync_replicas;
      co_return enough ? partition_errc::ok : partition_errc::not_enough_replicas_after_append;
    }
    if (runtime::monotonic_ns() >= deadline_ns) co_return partition_errc::request_timed_out;
    (void)co_await data_arrived_.wait_until(*shard_, deadline_ns);
  }
}

namespace {

// Whether every record of a batch has a key (one that will not inflate is
// let through: the log's validation judges it).
bool every_record_keyed(const std::vector<uint8_t>& batch) {
  std::optional<std::vector<uint8_t>> plain =
      storage::inflated_batch(batch, storage::k_inflated_batch_bytes_max);
  if (!plain) return true;
  storage::record_reader records(*plain);
  while (auto r = records.next()) {
    if (!r->key) return false;
  }
  return true;
}

}  // namespace

task<produce_outcome> partition_replica::stage_one(storage::batch_bytes batch, batch_origin origin,
                                                   std::vector<pending_append>* pending) {
  storage::batch_view v(batch->data());
  if (v.is_control()) {
    // Markers come from a transaction coordinator (WriteTxnMarkers), never
    // in a client's Produce.
    if (origin != batch_origin::coordinator)
      co_return produce_outcome{partition_errc::invalid_record};
    if (!producers_.observe_epoch(v.producer_id(), v.producer_epoch())) {
      co_return produce_outcome{partition_errc::fenced_producer_epoch};
    }
    auto r = co_await log_->stage_append(batch, leader_epoch_);
    if (!r.ok()) {
      note_log_result(r.error());
      co_return produce_outcome{from_log(r.error())};
    }
    pending_append p = pending_append::staged(r.value(), {-1, -1, -1, -1});
    p.aborted = txns_.observe({.producer_id = v.producer_id(),
                               .base_offset = r.value().offsets.base_offset,
                               .last_offset = r.value().offsets.last_offset,
                               .transactional = true,
                               .marker = storage::read_marker(*batch)});
    pending->push_back(p);
    co_return produce_outcome{};
  }
  // Kafka refuses keyless records on a compacted topic: there is no key to
  // keep the latest of.
  if (log_->options().compacted && !every_record_keyed(*batch)) {
    co_return produce_outcome{partition_errc::invalid_record};
  }
  batch_identity id{v.producer_id(), v.producer_epoch(), v.base_sequence(),
                    v.base_sequence() + v.last_offset_delta(), v.max_timestamp()};
  // A group coordinator's transactional offset commit carries its producer
  // but no sequence: only the epoch is checked.
  bool sequenced = id.first_sequence >= 0;
  if (id.producer_id >= 0 && !sequenced && v.is_transactional() &&
      !producers_.observe_epoch(id.producer_id, id.producer_epoch)) {
    co_return produce_outcome{partition_errc::fenced_producer_epoch};
  }
  bool idempotent = id.producer_id >= 0 && sequenced;
  if (idempotent) {
    int64_t original = -1;
    switch (producers_.check(id, &original)) {
      case sequence_check::accept:
        break;
      case sequence_check::duplicate:
        pending->push_back(
            pending_append::duplicate({original, original + v.last_offset_delta(), -1}));
        co_return produce_outcome{};
      case sequence_check::in_flight:
        co_return produce_outcome{partition_errc::request_timed_out};
      case sequence_check::out_of_order:
        RILL_WARN("partition",
                  "%s-%d: out-of-order sequence from producer %lld epoch %d: batch %d..%d after "
                  "%d (leader epoch %d, log end %lld)",
                  topic_.c_str(), index_, static_cast<long long>(id.producer_id), id.producer_epoch,
                  id.first_sequence, id.last_sequence, producers_.last_sequence(id.producer_id),
                  leader_epoch_, static_cast<long long>(log_end_offset()));
        co_return produce_outcome{partition_errc::out_of_order_sequence};
      case sequence_check::fenced_epoch:
        co_return produce_outcome{partition_errc::fenced_producer_epoch};
    }
  }
  auto r = co_await log_->stage_append(batch, leader_epoch_);
  if (!r.ok()) {
    if (idempotent) producers_.append_failed(id);
    note_log_result(r.error());
    co_return produce_outcome{from_log(r.error())};
  }
  pending->push_back(
      pending_append::staged(r.value(), idempotent ? id : batch_identity{-1, -1, -1, -1}));
  if (v.is_transactional()) {
    (void)txns_.observe({.producer_id = id.producer_id,
                         .base_offset = r.value().offsets.base_offset,
                         .last_offset = r.value().offsets.last_offset,
                         .transactional = true});
  }
  co_return produce_outcome{};
}

task<produce_outcome> partition_replica::finish_appends(std::vector<pending_append>& pending) {
  produce_outcome first;
  for (size_t i = 0; i < pending.size(); ++i) {
    pending_append& p = pending[i];
    partition_errc e = partition_errc::ok;
    if (p.needs_write) {
      storage::log_errc written = co_await log_->wait_written(p.append);
      note_log_result(written);
      e = from_log(written);
      if (p.id.producer_id >= 0) {
        if (e == partition_errc::ok) {
          producers_.appended(p.id, p.append.offsets.base_offset);
        } else {
          producers_.append_failed(p.id);
        }
      }
      if (e != partition_errc::ok) rebuild_producer_state_ = true;
      if (e == partition_errc::ok && p.aborted) {
        storage::log_errc indexed = co_await log_->add_aborted_txn(*p.aborted);
        note_log_result(indexed);
        e = from_log(indexed);
      }
    }
    if (e != partition_errc::ok && first.error == partition_errc::ok) first.error = e;
    if (i == 0) {
      first.base_offset = p.offsets().base_offset;
      first.last_offset = p.offsets().last_offset;
      first.log_append_time_ms = p.offsets().log_append_time_ms;
    }
  }
  if (!pending.empty()) {
    notify_waiters();  // followers long-polling for new data
    advance_high_watermark();
  }
  co_return first;
}

task<fetch_outcome> partition_replica::fetch(ids::offset at, int32_t max_bytes,
                                             ids::leader_epoch current_leader_epoch,
                                             bool read_committed) {
  const int64_t offset = at.value();
  fetch_outcome out;
  out.high_watermark = high_watermark_;
  out.last_stable_offset = last_stable_offset();
  out.log_start_offset = log_->log_start_offset();
  out.error = check_leadership(current_leader_epoch);
  if (out.error != partition_errc::ok) co_return out;
  const int64_t bound = read_committed ? out.last_stable_offset : high_watermark_;
  if (offset >= bound) {
    // Asking for the high watermark itself means "nothing new yet".
    out.error =
        offset > log_end_offset() ? partition_errc::offset_out_of_range : partition_errc::ok;
    co_return out;
  }
  RILL_ASSERT(high_watermark_ <= log_end_offset(), "%s-%d: high watermark %lld past the log end",
              topic_.c_str(), index_, static_cast<long long>(high_watermark_));
  auto r = co_await log_->read(offset, static_cast<size_t>(std::max(max_bytes, 1)), bound);
  if (!r.ok()) {
    note_log_result(r.error());
    out.error = from_log(r.error());
    co_return out;
  }
  out.records = std::move(r).value();
  if (read_committed && !out.records.slices.empty()) {
    const storage::batch_slice& last = out.records.slices.back();
    size_t at = 0;
    int64_t end = offset;
    while (at + storage::batch_format::header_bytes <= last.bytes.size()) {
      storage::batch_view v(last.bytes.data() + at);
      end = v.last_offset() + 1;
      at += v.size_bytes();
    }
    out.aborted = log_->aborted_txns().overlapping(offset, end);
  }
  co_return out;
}

task<fetch_outcome> partition_replica::replica_fetch(const replica_fetch_request& req) {
  const int64_t offset = req.offset.value();
  const int32_t last_fetched_epoch = req.last_fetched_epoch.value();
  fetch_outcome out;
  out.log_start_offset = log_->log_start_offset();
  out.error = check_leadership(req.current_leader_epoch);
  if (out.error != partition_errc::ok) co_return out;
  int64_t leo = log_end_offset();
  if (last_fetched_epoch >= 0 && offset > 0) {
    // KIP-320: the follower's last epoch must end where the follower is.
    auto end = log_->epochs().end_offset_for(last_fetched_epoch, leo);
    if (end.epoch < 0) end = {0, log_->log_start_offset()};
    if (end.epoch != last_fetched_epoch || end.end_offset < offset) {
      out.diverging_epoch = end.epoch;
      out.diverging_end_offset = end.end_offset;
      out.high_watermark = high_watermark_;
      co_return out;
    }
  }
  if (offset > leo || offset < log_->log_start_offset()) {
    out.error = partition_errc::offset_out_of_range;
    out.high_watermark = high_watermark_;
    co_return out;
  }
  if (tracker_->on_follower_fetch(req.replica, req.offset, ids::offset{leo}, steady_clock_ms()))
    advance_high_watermark();
  out.high_watermark = high_watermark_;
  RILL_ASSERT(high_watermark_ <= leo, "%s-%d: high watermark %lld past the log end %lld",
              topic_.c_str(), index_, static_cast<long long>(high_watermark_),
              static_cast<long long>(leo));
  if (offset == leo) co_return out;
  auto r = co_await log_->read(offset, static_cast<size_t>(std::max(req.max_bytes, 1)), leo);
  if (!r.ok()) {
    note_log_result(r.error());
    out.error = from_log(r.error());
    co_return out;
  }
  out.records = std::move(r).value();
  co_return out;
}

task<offset_lookup> partition_replica::list_offset(int64_t timestamp,
                                                   ids::leader_epoch current_leader_epoch,
                                                   bool read_committed) {
  offset_lookup out;
  out.error = check_leadership(current_leader_epoch);
  if (out.error != partition_errc::ok) co_return out;
  out.leader_epoch = leader_epoch_;
  if (timestamp == -1) {
    out.offset = read_committed ? last_stable_offset() : high_watermark_;
  } else if (timestamp == -2) {
    out.offset = log_->log_start_offset();
  } else {
    // -3: the record with the largest timestamp (KIP-734); else the first
    // record at or after the timestamp. Only what consumers may read.
    auto r = timestamp == -3 ? co_await log_->max_timestamp_record(high_watermark_)
                             : co_await log_->offset_for_timestamp(timestamp);
    if (!r.ok()) {
      out.error = from_log(r.error());
      note_log_result(r.error());
      co_return out;
    }
    bool readable = r.value().offset >= 0 && r.value().offset < high_watermark_;
    out.offset = readable ? r.value().offset : -1;
    out.timestamp = readable ? r.value().timestamp : -1;
  }
  RILL_ASSERT(out.offset <= high_watermark_, "%s-%d: listed offset %lld past the high watermark",
              topic_.c_str(), index_, static_cast<long long>(out.offset));
  co_return out;
}

offset_lookup partition_replica::end_of_epoch(ids::leader_epoch asked,
                                              ids::leader_epoch current_leader_epoch) {
  const int32_t epoch = asked.value();
  offset_lookup out;
  out.error = check_leadership(current_leader_epoch);
  if (out.error != partition_errc::ok) return out;
  storage::leader_epoch_cache::epoch_end end =
      log_->epochs().end_offset_for(epoch, log_end_offset());
  out.leader_epoch = end.epoch;
  out.offset = end.end_offset;
  RILL_ASSERT(end.epoch <= epoch, "%s-%d: epoch %d answered for %d", topic_.c_str(), index_,
              end.epoch, epoch);
  return out;
}

task<void> partition_replica::flush_if_due() {
  storage::log_errc e = co_await log_->flush_if_due();
  if (e != storage::log_errc::ok) {
    RILL_ERROR("partition", "%s-%d: interval flush failed: %s", topic_.c_str(), index_,
               storage::log_errc_name(e));
  }
  note_log_result(e);
  co_await checkpoint_transactions(false);
}

task<void> partition_replica::checkpoint_transactions(bool now) {
  if (!txns_.changed_since_checkpoint() || health_ != log_health::healthy) co_return;
  uint64_t t = runtime::monotonic_ns();
  if (!now && t - last_txn_checkpoint_ns_ < k_txn_checkpoint_interval_ns) co_return;
  last_txn_checkpoint_ns_ = t;
  txns_.mark_checkpointed();  // changes during the write are the next one's
  storage::log_errc e =
      co_await log_->store_sidecar(k_txn_checkpoint_file, txns_.checkpoint(log_->log_end_offset()));
  if (e != storage::log_errc::ok) {
    RILL_WARN("partition", "%s-%d: writing %s failed: %s", topic_.c_str(), index_,
              k_txn_checkpoint_file, storage::log_errc_name(e));
  }
}

task<void> partition_replica::apply_retention() {
  note_log_result(co_await log_->apply_retention());
}

task<void> partition_replica::compact(storage::compaction_options o) {
  if (health_ != log_health::healthy || role_ == replica_role::offline) co_return;
  const storage::log_options& topic = log_->options();
  o.clean_below = high_watermark_;
  o.delete_retention_ms = topic.delete_retention_ms;
  o.min_cleanable_dirty_ratio = topic.min_cleanable_dirty_ratio;
  o.min_compaction_lag_ms = topic.min_compaction_lag_ms;
  o.max_compaction_lag_ms = topic.max_compaction_lag_ms;
  auto r = co_await log_->compact(std::move(o));
  if (!r.ok()) note_log_result(r.error());
}

void partition_replica::maybe_change_isr() {
  if (role_ != replica_role::leader || !tracker_ || !options_.send_isr_change) return;
  auto change = tracker_->next_change(ids::offset{log_end_offset()}, steady_clock_ms());
  if (change) spawn(send_isr_change(std::move(*change)));
}

task<void> partition_replica::send_isr_change(replication::isr_change change) {
  runtime::work_guard guard(*shard_);
  RILL_ASSERT(role_ == replica_role::leader && tracker_ && tracker_->change_in_flight());
  int32_t epoch = leader_epoch_;
  uint64_t generation = tracker_generation_;
  control::rpc::alter_partition_request req{options_.broker_id, topic_,           index_,
                                            leader_epoch_,      partition_epoch_, change.isr};
  RILL_INFO("partition", "%s-%d: asking the controller to %s the ISR to %zu members",
            topic_.c_str(), index_, change.expands ? "expand" : "shrink", change.isr.size());
  auto resp = co_await options_.send_isr_change(req);
  if (role_ != replica_role::leader || leader_epoch_ != epoch || !tracker_ ||
      tracker_generation_ != generation) {
    co_return;
  }
  bool accepted = resp && resp->error == 0;
  if (resp && resp->leader_epoch == leader_epoch_ && resp->partition_epoch >= partition_epoch_) {
    partition_epoch_ = resp->partition_epoch;
    isr_ = resp->isr;
  }
  if (options_.counters != nullptr) {
    if (!accepted) {
      ++options_.counters->isr_changes_refused;
    } else if (change.expands) {
      ++options_.counters->isr_expands;
    } else {
      ++options_.counters->isr_shrinks;
    }
  }
  tracker_->change_done(
      accepted, resp && resp->leader_epoch == leader_epoch_ ? resp->isr : std::vector<int32_t>{},
      ids::offset{log_end_offset()}, steady_clock_ms());
  if (!accepted) {
    RILL_WARN("partition", "%s-%d: ISR change refused (%s)", topic_.c_str(), index_,
              resp ? std::to_string(resp->error).c_str() : "controller unreachable");
  }
  advance_high_watermark();
  notify_waiters();
}

task<partition_errc> partition_replica::append_from_leader(std::span<const uint8_t> records,
                                                           ids::offset leader_hw) {
  const int64_t leader_high_watermark = leader_hw.value();
  if (role_ != replica_role::follower) co_return partition_errc::not_leader;
  if (rebuild_producer_state_) co_await restore_producer_state();
  std::vector<std::pair<size_t, size_t>> spans;
  if (!records.empty() && !split_batches(records, &spans)) co_return partition_errc::corrupt_batch;
  for (const auto& [at, size] : spans) {
    storage::batch_view v(records.data() + at);
    if (v.last_offset() < log_end_offset()) continue;  // already here
    auto batch = std::make_shared<std::vector<uint8_t>>(
        records.begin() + static_cast<std::ptrdiff_t>(at),
        records.begin() + static_cast<std::ptrdiff_t>(at + size));
    batch_identity id{v.producer_id(), v.producer_epoch(), v.base_sequence(),
                      v.base_sequence() + v.last_offset_delta(), v.max_timestamp()};
    int64_t base = v.base_offset();
    bool unsequenced = v.is_control() || v.base_sequence() < 0;
    auto r = co_await log_->append_replicated(std::move(batch));
    if (!r.ok()) {
      note_log_result(r.error());
      co_return from_log(r.error());
    }
    if (id.producer_id >= 0 && unsequenced) {
      (void)producers_.observe_epoch(id.producer_id, id.producer_epoch);
    } else if (id.producer_id >= 0) {
      producers_.observe(id, base);
    }
    co_await observe_transaction(records.subspan(at, size));
  }
  high_watermark_ = std::max(high_watermark_, std::min(leader_high_watermark, log_end_offset()));
  (void)txns_.last_stable_offset(high_watermark_);  // forgets what the HW passed
  RILL_ASSERT(high_watermark_ <= log_end_offset(), "%s-%d: follower high watermark past its log",
              topic_.c_str(), index_);
  if (!spans.empty()) notify_waiters();
  co_return partition_errc::ok;
}

task<partition_errc> partition_replica::truncate_diverged(ids::offset end_offset) {
  RILL_ASSERT(role_ != replica_role::leader, "%s-%d: a leader never truncates to another's log",
              topic_.c_str(), index_);
  int64_t target = std::min(end_offset.value(), log_end_offset());
  RILL_WARN("partition", "%s-%d: log diverged from leader %d: truncating from %lld to %lld",
            topic_.c_str(), index_, leader_id_, static_cast<long long>(log_end_offset()),
            static_cast<long long>(target));
  storage::log_errc e = co_await log_->truncate_to(target);
  high_watermark_ = std::min(high_watermark_, log_end_offset());
  RILL_ASSERT(e != storage::log_errc::ok || log_end_offset() <= target,
              "%s-%d: truncated to %lld, log ends at %lld", topic_.c_str(), index_,
              static_cast<long long>(target), static_cast<long long>(log_end_offset()));
  // The producer table may describe batches that were just cut: a retry of
  // one of them must be appended again, not answered as a duplicate.
  co_await restore_producer_state();
  co_return from_log(e);
}

task<offset_lookup> partition_replica::delete_records(ids::offset offset) {
  if (partition_errc e = check_leadership(ids::k_no_leader_epoch); e != partition_errc::ok)
    co_return offset_lookup{e};
  if (!log_->options().retention_deletes) co_return offset_lookup{partition_errc::policy_violation};
  int64_t target = offset == ids::k_no_offset ? high_watermark_ : offset.value();
  if (target < 0 || target > high_watermark_) {
    co_return offset_lookup{partition_errc::offset_out_of_range};
  }
  storage::log_errc e = co_await log_->advance_log_start(target);
  note_log_result(e);
  if (e != storage::log_errc::ok) co_return offset_lookup{from_log(e)};
  RILL_INFO("partition", "%s-%d: records before %lld deleted (DeleteRecords)", topic_.c_str(),
            index_, static_cast<long long>(target));
  offset_lookup out;
  out.offset = log_->log_start_offset();
  RILL_ASSERT(out.offset >= target, "%s-%d: log start %lld below the asked %lld", topic_.c_str(),
              index_, static_cast<long long>(out.offset), static_cast<long long>(target));
  co_return out;
}

task<void> partition_replica::follow_log_start(ids::offset leader_log_start) {
  int64_t target = std::min(leader_log_start.value(), log_end_offset());
  if (role_ != replica_role::follower || target <= log_->log_start_offset()) co_return;
  note_log_result(co_await log_->advance_log_start(target));
}

task<partition_errc> partition_replica::reset_to(ids::offset start) {
  RILL_ASSERT(role_ != replica_role::leader && start.value() >= 0, "%s-%d: reset to %lld while %s",
              topic_.c_str(), index_, static_cast<long long>(start.value()),
              replica_role_name(role_));
  const int64_t offset = start.value();
  storage::log_errc e = co_await log_->reset_to(offset);
  high_watermark_ = offset;
  producers_ = producer_state{};
  txns_.clear();
  co_return from_log(e);
}

void partition_replica::note_log_result(storage::log_errc e) {
  bool storage_failure = e == storage::log_errc::storage_error ||
                         e == storage::log_errc::no_space || e == storage::log_errc::log_offline;
  if (!storage_failure || health_ == log_health::failed) return;
  log_health next = e == storage::log_errc::no_space && !log_->offline() ? log_health::disk_full
                                                                         : log_health::failed;
  if (next == health_) return;
  RILL_ERROR(
      "partition",
      "%s-%d: log %s (%s): this replica stops %s; the controller moves leadership and "
      "ISR membership to the other replicas%s",
      topic_.c_str(), index_, next == log_health::failed ? "failed" : "on a full disk",
      storage::log_errc_name(e), role_ == replica_role::leader ? "leading" : "serving",
      next == log_health::failed ? " until the broker restarts" : " until the disk has room again");
  health_ = next;
  health_reported_ = false;
  role_ = replica_role::offline;
  tracker_.reset();
  notify_waiters();  // acks=all produces and long polls answer now
  spawn(report_health());
}

task<void> partition_replica::report_health() {
  if (health_report_running_ || !options_.report_state) co_return;
  runtime::work_guard guard(*shard_);
  health_report_running_ = true;
  while (!health_reported_ && !closed_) {
    log_health reporting = health_;
    bool heard = co_await options_.report_state(topic_, index_, reporting != log_health::healthy);
    if (heard && reporting == health_) health_reported_ = true;
    if (!heard) break;  // check_health() retries from the background loop
  }
  health_report_running_ = false;
}

void partition_replica::check_health(uint64_t free_bytes, uint64_t disk_bytes) {
  uint64_t resume_at = std::min(k_disk_free_to_resume_bytes, disk_bytes / 20);
  if (health_ == log_health::disk_full && disk_bytes > 0 && free_bytes >= resume_at) {
    RILL_INFO("partition",
              "%s-%d: the disk has room again (%llu MiB free): rejoining as a "
              "follower",
              topic_.c_str(), index_, static_cast<unsigned long long>(free_bytes >> 20));
    health_ = log_health::healthy;
    health_reported_ = false;
  }
  if (!health_reported_) spawn(report_health());
}

task<void> partition_replica::close() {
  co_await checkpoint_transactions(true);
  closed_ = true;
  role_ = replica_role::offline;
  tracker_.reset();
  notify_waiters();
  co_await log_->close();
}

}  // namespace rill::partition
