#include "dataplane/partition/partition_replica.h"

#include <vector>

#include "base/log.h"
#include "storage/record_batch.h"

namespace rill::partition {

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
  }
  return "?";
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
bool split_batches(const std::vector<uint8_t>& records,
                   std::vector<std::pair<size_t, size_t>>* out) {
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

}  // namespace

partition_replica::partition_replica(runtime::shard& s, std::string topic, int32_t index,
                                     std::unique_ptr<storage::partition_log> log,
                                     int32_t min_insync_replicas)
    : topic_(std::move(topic)),
      index_(index),
      log_(std::move(log)),
      min_insync_replicas_(min_insync_replicas) {
  high_watermark_ = log_->log_end_offset();
}

void partition_replica::update(const control::partition_info& info, int32_t local_broker_id) {
  bool was_leader = leader_;
  leader_ = info.leader == local_broker_id;
  leader_epoch_ = info.leader_epoch;
  isr_size_ = info.isr.empty() ? 1 : info.isr.size();
  if (leader_ != was_leader) {
    RILL_INFO("partition", "%s-%d: %s at leader epoch %d", topic_.c_str(), index_,
              leader_ ? "now leader" : "no longer leader", leader_epoch_);
  }
}

partition_errc partition_replica::check_leader_epoch(int32_t current_leader_epoch) const {
  if (current_leader_epoch < 0 || current_leader_epoch == leader_epoch_) return partition_errc::ok;
  return current_leader_epoch < leader_epoch_ ? partition_errc::fenced_leader_epoch
                                              : partition_errc::unknown_leader_epoch;
}

void partition_replica::advance_high_watermark() {
  // The ISR is this replica alone: everything written is committed.
  if (log_->log_end_offset() > high_watermark_) {
    high_watermark_ = log_->log_end_offset();
    data_arrived_.notify_all();
  }
}

task<produce_outcome> partition_replica::produce(storage::batch_bytes records, int16_t acks) {
  if (!leader_) co_return produce_outcome{partition_errc::not_leader};
  if (records == nullptr || records->empty())
    co_return produce_outcome{partition_errc::corrupt_batch};
  if (acks == -1 && static_cast<int32_t>(isr_size_) < min_insync_replicas_) {
    co_return produce_outcome{partition_errc::not_enough_replicas};
  }
  std::vector<std::pair<size_t, size_t>> spans;
  if (!split_batches(*records, &spans)) co_return produce_outcome{partition_errc::corrupt_batch};
  if (spans.size() == 1) co_return co_await append_one(std::move(records));
  produce_outcome first;
  for (size_t i = 0; i < spans.size(); ++i) {
    auto one = std::make_shared<std::vector<uint8_t>>(
        records->begin() + static_cast<std::ptrdiff_t>(spans[i].first),
        records->begin() + static_cast<std::ptrdiff_t>(spans[i].first + spans[i].second));
    produce_outcome r = co_await append_one(std::move(one));
    if (r.error != partition_errc::ok) co_return r;
    if (i == 0) first = r;
  }
  co_return first;
}

task<produce_outcome> partition_replica::append_one(storage::batch_bytes batch) {
  storage::batch_view v(batch->data());
  batch_identity id{v.producer_id(), v.producer_epoch(), v.base_sequence(),
                    v.base_sequence() + v.last_offset_delta()};
  bool idempotent = id.producer_id >= 0;
  if (idempotent) {
    int64_t original = -1;
    switch (producers_.check(id, &original)) {
      case sequence_check::accept:
        break;
      case sequence_check::duplicate:
        co_return produce_outcome{partition_errc::ok, original, -1, log_->log_start_offset()};
      case sequence_check::out_of_order:
        co_return produce_outcome{partition_errc::out_of_order_sequence};
      case sequence_check::fenced_epoch:
        co_return produce_outcome{partition_errc::fenced_producer_epoch};
    }
  }
  auto r = co_await log_->append(std::move(batch), leader_epoch_);
  if (!r.ok()) {
    if (idempotent) producers_.append_failed(id);
    co_return produce_outcome{from_log(r.error())};
  }
  if (idempotent) producers_.appended(id, r.value().base_offset);
  advance_high_watermark();
  co_return produce_outcome{partition_errc::ok, r.value().base_offset, r.value().log_append_time_ms,
                            log_->log_start_offset()};
}

task<fetch_outcome> partition_replica::fetch(int64_t offset, int32_t max_bytes,
                                             int32_t current_leader_epoch) {
  fetch_outcome out;
  out.high_watermark = high_watermark_;
  out.log_start_offset = log_->log_start_offset();
  if (!leader_) {
    out.error = partition_errc::not_leader;
    co_return out;
  }
  out.error = check_leader_epoch(current_leader_epoch);
  if (out.error != partition_errc::ok) co_return out;
  if (offset > high_watermark_) {
    // A consumer may ask for the HW itself (nothing new yet), not beyond.
    out.error =
        offset > log_->log_end_offset() ? partition_errc::offset_out_of_range : partition_errc::ok;
    co_return out;
  }
  auto r =
      co_await log_->read(offset, static_cast<size_t>(std::max(max_bytes, 1)), high_watermark_);
  if (!r.ok()) {
    out.error = from_log(r.error());
    co_return out;
  }
  out.records = std::move(r).value();
  co_return out;
}

task<offset_lookup> partition_replica::list_offset(int64_t timestamp,
                                                   int32_t current_leader_epoch) {
  offset_lookup out;
  if (!leader_) {
    out.error = partition_errc::not_leader;
    co_return out;
  }
  out.error = check_leader_epoch(current_leader_epoch);
  if (out.error != partition_errc::ok) co_return out;
  out.leader_epoch = leader_epoch_;
  if (timestamp == -1) {
    out.offset = high_watermark_;
  } else if (timestamp == -2) {
    out.offset = log_->log_start_offset();
  } else {
    int64_t target = timestamp == -3 ? 0 : timestamp;
    auto r = co_await log_->offset_for_timestamp(target);
    if (!r.ok()) {
      out.error = from_log(r.error());
      co_return out;
    }
    out.offset = r.value() >= high_watermark_ ? -1 : r.value();
    out.timestamp = out.offset >= 0 ? timestamp : -1;
  }
  co_return out;
}

task<void> partition_replica::close() {
  data_arrived_.notify_all();
  co_await log_->close();
}

}  // namespace rill::partition
