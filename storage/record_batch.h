// Kafka RecordBatch v2 (magic 2): the unit the log stores, byte for byte as it
// travels on the wire. This header is the one place with the format's
// constants; docs/formats/record_batch.md has the grammar.
//
// A batch is validated once, when it enters the broker, and stored as is;
// the broker only rewrites the base offset and the partition leader epoch
// (outside the CRC span) and, for LogAppendTime topics, the attributes and
// max timestamp (inside it, so the CRC is recomputed).
#pragma once

#include <cstdint>
#include <span>

#include "base/byte_order.h"

namespace rill::storage {

namespace batch_format {
// Field offsets within the batch header. Never renumber: this is the format.
constexpr size_t base_offset = 0;              // int64
constexpr size_t batch_length = 8;             // int32: bytes after this field
constexpr size_t partition_leader_epoch = 12;  // int32
constexpr size_t magic = 16;                   // int8, always 2
constexpr size_t crc = 17;                     // uint32, CRC-32C of [attributes, end)
constexpr size_t attributes = 21;              // int16
constexpr size_t last_offset_delta = 23;       // int32
constexpr size_t base_timestamp = 27;          // int64
constexpr size_t max_timestamp = 35;           // int64
constexpr size_t producer_id = 43;             // int64
constexpr size_t producer_epoch = 51;          // int16
constexpr size_t base_sequence = 53;           // int32
constexpr size_t records_count = 57;           // int32
constexpr size_t header_bytes = 61;
constexpr size_t length_prefix_bytes = 12;  // base_offset + batch_length
constexpr int8_t current_magic = 2;

constexpr uint16_t compression_mask = 0x07;
constexpr uint16_t timestamp_type_log_append = 0x08;
constexpr uint16_t transactional_flag = 0x10;
constexpr uint16_t control_flag = 0x20;
}  // namespace batch_format

static_assert(batch_format::records_count + 4 == batch_format::header_bytes);
static_assert(batch_format::crc + 4 == batch_format::attributes);

enum class batch_errc : uint8_t {
  ok = 0,
  truncated,        // fewer bytes than the header or the length says
  bad_length,       // length field smaller than a header or beyond the limit
  bad_magic,        // not a v2 batch
  bad_crc,          // checksum mismatch
  bad_record_count  // count does not match the offset delta
};
const char* batch_errc_name(batch_errc e);

// A read-only view of one batch's header fields.
class batch_view {
 public:
  explicit batch_view(const uint8_t* data) : p_(data) {}
  int64_t base_offset() const { return static_cast<int64_t>(load_be64(p_)); }
  int32_t batch_length() const { return i32(batch_format::batch_length); }
  size_t size_bytes() const {
    return batch_format::length_prefix_bytes + static_cast<uint32_t>(batch_length());
  }
  int32_t leader_epoch() const { return i32(batch_format::partition_leader_epoch); }
  int8_t magic() const { return static_cast<int8_t>(p_[batch_format::magic]); }
  uint32_t crc() const { return load_be32(p_ + batch_format::crc); }
  uint16_t attributes() const { return load_be16(p_ + batch_format::attributes); }
  int32_t last_offset_delta() const { return i32(batch_format::last_offset_delta); }
  int64_t last_offset() const { return base_offset() + last_offset_delta(); }
  int64_t base_timestamp() const { return i64(batch_format::base_timestamp); }
  int64_t max_timestamp() const { return i64(batch_format::max_timestamp); }
  int64_t producer_id() const { return i64(batch_format::producer_id); }
  int16_t producer_epoch() const {
    return static_cast<int16_t>(load_be16(p_ + batch_format::producer_epoch));
  }
  int32_t base_sequence() const { return i32(batch_format::base_sequence); }
  int32_t records_count() const { return i32(batch_format::records_count); }
  bool is_control() const { return (attributes() & batch_format::control_flag) != 0; }
  bool is_transactional() const { return (attributes() & batch_format::transactional_flag) != 0; }

 private:
  int32_t i32(size_t at) const { return static_cast<int32_t>(load_be32(p_ + at)); }
  int64_t i64(size_t at) const { return static_cast<int64_t>(load_be64(p_ + at)); }
  const uint8_t* p_;
};

enum class count_check : uint8_t {
  exact,   // producer batches: count == last_offset_delta + 1
  at_most  // replicated/compacted batches: count <= last_offset_delta + 1
};

// Validates the batch at the start of data: header, length within data and
// batch_bytes_max, magic, CRC, record count. On success *size is its size.
batch_errc validate_batch(std::span<const uint8_t> data, size_t batch_bytes_max, count_check check,
                          size_t* size);

// Rewrites the fields the broker owns. LogAppendTime also rewrites the
// timestamp type and max timestamp, and so the CRC.
void assign_batch_offset(uint8_t* batch, int64_t base_offset, int32_t leader_epoch);
void stamp_log_append_time(uint8_t* batch, size_t size, int64_t now_ms);

}  // namespace rill::storage
