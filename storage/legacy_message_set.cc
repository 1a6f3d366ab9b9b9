#include "storage/legacy_message_set.h"

#include <zlib.h>

#include <optional>
#include <string>

#include "base/byte_order.h"
#include "storage/batch_builder.h"
#include "storage/compression.h"

namespace rill::storage {
namespace {

constexpr size_t k_entry_header_bytes = 12;  // offset + size
constexpr size_t k_message_min_bytes = 14;   // crc magic attributes key(-1) value(-1)
constexpr uint8_t k_codec_mask = 0x07;
constexpr uint8_t k_log_append_time = 0x08;  // magic 1

struct legacy_record {
  std::optional<std::string> key;
  std::optional<std::string> value;
  int64_t timestamp_ms = -1;
};

class message_reader {
 public:
  explicit message_reader(std::span<const uint8_t> bytes) : bytes_(bytes) {}
  bool has(size_t n) const { return bytes_.size() - at_ >= n; }
  int8_t i8() { return static_cast<int8_t>(bytes_[at_++]); }
  int32_t i32() {
    auto v = static_cast<int32_t>(load_be32(bytes_.data() + at_));
    at_ += 4;
    return v;
  }
  int64_t i64() {
    auto v = static_cast<int64_t>(load_be64(bytes_.data() + at_));
    at_ += 8;
    return v;
  }
  // Kafka bytes; false when the length does not fit.
  bool bytes(std::optional<std::string>* out) {
    if (!has(4)) return false;
    int32_t n = i32();
    if (n < 0) {
      out->reset();
      return true;
    }
    if (!has(static_cast<size_t>(n))) return false;
    out->emplace(reinterpret_cast<const char*>(bytes_.data() + at_), static_cast<size_t>(n));
    at_ += static_cast<size_t>(n);
    return true;
  }
  size_t at() const { return at_; }
  void skip(size_t n) { at_ += n; }

 private:
  std::span<const uint8_t> bytes_;
  size_t at_ = 0;
};

legacy_errc read_set(std::span<const uint8_t> set, bool inner, size_t inflated_max,
                     std::vector<legacy_record>* out);

legacy_errc read_message(std::span<const uint8_t> msg, bool inner, size_t inflated_max,
                         std::vector<legacy_record>* out) {
  uint32_t crc = load_be32(msg.data());
  uLong computed = crc32(0L, msg.data() + 4, static_cast<uInt>(msg.size() - 4));
  if (crc != static_cast<uint32_t>(computed)) return legacy_errc::bad_crc;
  message_reader r(msg.subspan(4));
  int8_t magic = r.i8();
  auto attributes = static_cast<uint8_t>(r.i8());
  if (magic != 0 && magic != 1) return legacy_errc::malformed;
  legacy_record rec;
  if (magic == 1) {
    if (!r.has(8)) return legacy_errc::malformed;
    rec.timestamp_ms = r.i64();
  }
  if (!r.bytes(&rec.key) || !r.bytes(&rec.value)) return legacy_errc::malformed;
  uint8_t codec_bits = attributes & k_codec_mask;
  if (codec_bits == 0) {
    out->push_back(std::move(rec));
    return legacy_errc::ok;
  }
  if (inner || !rec.value) return legacy_errc::malformed;  // wrappers do not nest
  if (codec_bits > 3) return legacy_errc::unsupported_codec;
  auto payload = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(rec.value->data()),
                                          rec.value->size());
  auto plain = decompress(static_cast<codec>(codec_bits), payload, inflated_max);
  if (!plain.ok()) return legacy_errc::corrupt_compressed;
  size_t first = out->size();
  legacy_errc e = read_set(plain.value(), true, inflated_max, out);
  if (e != legacy_errc::ok) return e;
  if (magic == 1 && (attributes & k_log_append_time) != 0) {
    // The wrapper's timestamp stands for every inner message.
    for (size_t i = first; i < out->size(); ++i) (*out)[i].timestamp_ms = rec.timestamp_ms;
  }
  return legacy_errc::ok;
}

legacy_errc read_set(std::span<const uint8_t> set, bool inner, size_t inflated_max,
                     std::vector<legacy_record>* out) {
  size_t at = 0;
  while (set.size() - at >= k_entry_header_bytes) {
    int32_t size = static_cast<int32_t>(load_be32(set.data() + at + 8));
    at += k_entry_header_bytes;
    if (size < static_cast<int32_t>(k_message_min_bytes) ||
        static_cast<size_t>(size) > set.size() - at) {
      return legacy_errc::malformed;
    }
    legacy_errc e =
        read_message(set.subspan(at, static_cast<size_t>(size)), inner, inflated_max, out);
    if (e != legacy_errc::ok) return e;
    at += static_cast<size_t>(size);
  }
  return at == set.size() ? legacy_errc::ok : legacy_errc::malformed;
}

}  // namespace

const char* legacy_errc_name(legacy_errc e) {
  switch (e) {
    case legacy_errc::ok:
      return "ok";
    case legacy_errc::malformed:
      return "malformed message set";
    case legacy_errc::bad_crc:
      return "message CRC mismatch";
    case legacy_errc::unsupported_codec:
      return "unsupported compression codec";
    case legacy_errc::corrupt_compressed:
      return "compressed messages do not inflate";
    case legacy_errc::empty:
      return "empty message set";
  }
  return "?";
}

result<std::vector<uint8_t>, legacy_errc> upconvert_message_set(std::span<const uint8_t> set,
                                                                size_t inflated_bytes_max) {
  std::vector<legacy_record> records;
  legacy_errc e = read_set(set, false, inflated_bytes_max, &records);
  if (e != legacy_errc::ok) return e;
  if (records.empty()) return legacy_errc::empty;
  int64_t base = records.front().timestamp_ms;
  std::vector<record_spec> specs;
  specs.reserve(records.size());
  for (legacy_record& r : records) {
    int64_t delta = base < 0 || r.timestamp_ms < 0 ? 0 : r.timestamp_ms - base;
    specs.push_back(
        {.key = std::move(r.key), .value = std::move(r.value), .timestamp_delta_ms = delta});
  }
  return build_batch({.base_timestamp_ms = base}, specs);
}

}  // namespace rill::storage
