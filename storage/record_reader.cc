#include "storage/record_reader.h"

#include "storage/record_batch.h"

namespace rill::storage {

record_reader::record_reader(std::span<const uint8_t> batch) {
  if (batch.size() < batch_format::header_bytes) {
    valid_ = false;
    return;
  }
  batch_view view(batch.data());
  base_offset_ = view.base_offset();
  base_timestamp_ = view.base_timestamp();
  remaining_ = view.records_count();
  compressed_ = (view.attributes() & batch_format::compression_mask) != 0;
  if (compressed_ || remaining_ < 0) valid_ = false;
  body_ = batch.subspan(batch_format::header_bytes);
}

std::optional<int64_t> record_reader::varlong() {
  uint64_t z = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (pos_ >= body_.size()) return std::nullopt;
    uint8_t b = body_[pos_++];
    z |= static_cast<uint64_t>(b & 0x7F) << shift;
    if ((b & 0x80) == 0) return static_cast<int64_t>((z >> 1) ^ (~(z & 1) + 1));
  }
  return std::nullopt;
}

std::optional<std::span<const uint8_t>> record_reader::take(int64_t n) {
  if (n < 0 || static_cast<uint64_t>(n) > body_.size() - pos_) return std::nullopt;
  auto s = body_.subspan(pos_, static_cast<size_t>(n));
  pos_ += static_cast<size_t>(n);
  return s;
}

std::optional<record_view> record_reader::next() {
  if (!valid_ || remaining_ == 0) return std::nullopt;
  auto fail = [this]() -> std::optional<record_view> {
    valid_ = false;
    return std::nullopt;
  };
  size_t start = pos_;
  auto length = varlong();
  if (!length || *length < 1 || static_cast<uint64_t>(*length) > body_.size() - pos_) return fail();
  size_t end = pos_ + static_cast<size_t>(*length);
  if (pos_ >= end) return fail();
  ++pos_;  // record attributes, unused
  auto ts_delta = varlong();
  auto offset_delta = varlong();
  auto key_length = varlong();
  if (!ts_delta || !offset_delta || !key_length) return fail();
  record_view r;
  r.offset = base_offset_ + *offset_delta;
  r.timestamp_ms = base_timestamp_ + *ts_delta;
  if (*key_length >= 0) {
    r.key = take(*key_length);
    if (!r.key) return fail();
  }
  auto value_length = varlong();
  if (!value_length) return fail();
  if (*value_length >= 0) {
    r.value = take(*value_length);
    if (!r.value) return fail();
  }
  if (pos_ > end) return fail();
  pos_ = end;  // headers: not needed by any reader here
  --remaining_;
  r.bytes = body_.subspan(start, end - start);
  return r;
}

}  // namespace rill::storage
