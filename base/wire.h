// Kafka wire primitives: a bounds-checked reader and a growing writer for
// the protocol's integers, varints, strings, bytes, arrays and tagged
// fields, in both the classic and the flexible ("compact") encodings.
//
// The reader never trusts the input: any read past the end or any length
// beyond what is left marks it failed (ok() == false) and returns empty
// values, so decoders can read a whole message and check once at the end.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rill {

class wire_reader {
 public:
  explicit wire_reader(std::span<const uint8_t> data) : data_(data) {}

  bool ok() const { return ok_; }
  size_t remaining() const { return ok_ ? data_.size() - pos_ : 0; }
  size_t position() const { return pos_; }
  void fail() { ok_ = false; }

  int8_t i8();
  int16_t i16();
  int32_t i32();
  int64_t i64();
  bool boolean() { return i8() != 0; }
  uint32_t uvarint();
  int32_t varint();
  std::array<uint8_t, 16> uuid();

  // Strings: classic (int16 length) or compact (uvarint length + 1).
  std::string string(bool flexible);
  std::optional<std::string> nullable_string(bool flexible);
  // Bytes / records: classic int32 length or compact; -1/0 is null.
  std::optional<std::span<const uint8_t>> nullable_bytes(bool flexible);
  // Array length; -1 for a null array. Fails on lengths that cannot fit.
  int32_t array_length(bool flexible, size_t min_element_bytes = 1);
  // Skips the tagged-field section of a flexible structure.
  void skip_tagged_fields();
  std::span<const uint8_t> take(size_t n);

 private:
  bool need(size_t n);
  std::span<const uint8_t> data_;
  size_t pos_ = 0;
  bool ok_ = true;
};

class wire_writer {
 public:
  void i8(int8_t v) { out_.push_back(static_cast<uint8_t>(v)); }
  void i16(int16_t v);
  void i32(int32_t v);
  void i64(int64_t v);
  void boolean(bool v) { i8(v ? 1 : 0); }
  void uvarint(uint32_t v);
  void uuid(const std::array<uint8_t, 16>& v) { out_.insert(out_.end(), v.begin(), v.end()); }
  void string(std::string_view s, bool flexible);
  void nullable_string(const std::optional<std::string>& s, bool flexible);
  void array_length(int32_t n, bool flexible);  // -1 writes a null array
  void bytes_length(int32_t n, bool flexible);  // -1 writes null
  void raw(std::span<const uint8_t> bytes) { out_.insert(out_.end(), bytes.begin(), bytes.end()); }
  // An empty tagged-field section.
  void empty_tagged_fields(bool flexible) {
    if (flexible) uvarint(0);
  }
  // Starts an int32 size field; finish_size writes bytes written since.
  size_t begin_size() {
    size_t at = out_.size();
    i32(0);
    return at;
  }
  void finish_size(size_t at);

  std::vector<uint8_t>& bytes() { return out_; }
  size_t size() const { return out_.size(); }

 private:
  std::vector<uint8_t> out_;
};

}  // namespace rill
