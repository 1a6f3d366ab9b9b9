#include "base/wire.h"

#include <array>

#include "base/byte_order.h"

namespace rill {

bool wire_reader::need(size_t n) {
  if (!ok_ || data_.size() - pos_ < n) {
    ok_ = false;
    return false;
  }
  return true;
}

std::span<const uint8_t> wire_reader::take(size_t n) {
  if (!need(n)) return {};
  auto s = data_.subspan(pos_, n);
  pos_ += n;
  return s;
}

int8_t wire_reader::i8() {
  return need(1) ? static_cast<int8_t>(data_[pos_++]) : 0;
}

int16_t wire_reader::i16() {
  if (!need(2)) return 0;
  auto v = static_cast<int16_t>(load_be16(data_.data() + pos_));
  pos_ += 2;
  return v;
}

int32_t wire_reader::i32() {
  if (!need(4)) return 0;
  auto v = static_cast<int32_t>(load_be32(data_.data() + pos_));
  pos_ += 4;
  return v;
}

int64_t wire_reader::i64() {
  if (!need(8)) return 0;
  auto v = static_cast<int64_t>(load_be64(data_.data() + pos_));
  pos_ += 8;
  return v;
}

uint32_t wire_reader::uvarint() {
  uint32_t v = 0;
  for (int shift = 0; shift <= 28; shift += 7) {
    if (!need(1)) return 0;
    uint8_t b = data_[pos_++];
    v |= static_cast<uint32_t>(b & 0x7F) << shift;
    if ((b & 0x80) == 0) return v;
  }
  ok_ = false;  // More than five bytes: malformed.
  return 0;
}

int32_t wire_reader::varint() {
  uint32_t z = uvarint();
  return static_cast<int32_t>((z >> 1) ^ (~(z & 1) + 1));
}

std::array<uint8_t, 16> wire_reader::uuid() {
  std::array<uint8_t, 16> v{};
  auto s = take(16);
  if (s.size() == 16) std::copy(s.begin(), s.end(), v.begin());
  return v;
}

std::optional<std::string> wire_reader::nullable_string(bool flexible) {
  int64_t len = flexible ? static_cast<int64_t>(uvarint()) - 1 : i16();
  if (!ok_ || len < 0) return std::nullopt;
  auto s = take(static_cast<size_t>(len));
  if (!ok_) return std::nullopt;
  return std::string(reinterpret_cast<const char*>(s.data()), s.size());
}

std::string wire_reader::string(bool flexible) {
  auto s = nullable_string(flexible);
  return s.value_or(std::string());
}

std::optional<std::span<const uint8_t>> wire_reader::nullable_bytes(bool flexible) {
  int64_t len = flexible ? static_cast<int64_t>(uvarint()) - 1 : i32();
  if (!ok_ || len < 0) return std::nullopt;
  auto s = take(static_cast<size_t>(len));
  if (!ok_) return std::nullopt;
  return s;
}

int32_t wire_reader::array_length(bool flexible, size_t min_element_bytes) {
  int64_t n = flexible ? static_cast<int64_t>(uvarint()) - 1 : i32();
  if (!ok_) return 0;
  if (n < -1) {
    ok_ = false;
    return 0;
  }
  // A length that the remaining bytes cannot hold is a lie: refuse it before
  // anyone reserves memory for it.
  if (n > 0 && static_cast<uint64_t>(n) * min_element_bytes > remaining()) {
    ok_ = false;
    return 0;
  }
  return static_cast<int32_t>(n);
}

void wire_reader::skip_tagged_fields() {
  uint32_t count = uvarint();
  for (uint32_t i = 0; i < count && ok_; ++i) {
    (void)uvarint();  // tag
    uint32_t size = uvarint();
    (void)take(size);
  }
}

void wire_writer::i16(int16_t v) {
  uint8_t b[2];
  store_be16(b, static_cast<uint16_t>(v));
  out_.insert(out_.end(), b, b + 2);
}

void wire_writer::i32(int32_t v) {
  uint8_t b[4];
  store_be32(b, static_cast<uint32_t>(v));
  out_.insert(out_.end(), b, b + 4);
}

void wire_writer::i64(int64_t v) {
  uint8_t b[8];
  store_be64(b, static_cast<uint64_t>(v));
  out_.insert(out_.end(), b, b + 8);
}

void wire_writer::uvarint(uint32_t v) {
  while (v >= 0x80) {
    out_.push_back(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  out_.push_back(static_cast<uint8_t>(v));
}

void wire_writer::string(std::string_view s, bool flexible) {
  if (flexible) {
    uvarint(static_cast<uint32_t>(s.size() + 1));
  } else {
    i16(static_cast<int16_t>(s.size()));
  }
  out_.insert(out_.end(), s.begin(), s.end());
}

void wire_writer::nullable_string(const std::optional<std::string>& s, bool flexible) {
  if (s) {
    string(*s, flexible);
  } else if (flexible) {
    uvarint(0);
  } else {
    i16(-1);
  }
}

void wire_writer::array_length(int32_t n, bool flexible) {
  if (flexible) {
    uvarint(static_cast<uint32_t>(n + 1));
  } else {
    i32(n);
  }
}

void wire_writer::bytes_length(int32_t n, bool flexible) {
  array_length(n, flexible);
}

void wire_writer::finish_size(size_t at) {
  store_be32(out_.data() + at, static_cast<uint32_t>(out_.size() - at - 4));
}

}  // namespace rill
