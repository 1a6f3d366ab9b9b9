// record_reader: walks the records of one uncompressed RecordBatch v2 (see
// docs/formats/record_batch.md), the way a consumer decodes them. Used by
// compaction, time lookups and the group coordinator's loads; the spans
// point into the batch, which must outlive them. A compressed batch is read
// through inflated_batch() (compression.h); given one directly, valid() is
// false and compressed() true.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

namespace rill::storage {

struct record_view {
  std::span<const uint8_t> bytes;  // the whole record, its length prefix included
  int64_t offset = 0;
  int64_t timestamp_ms = 0;
  std::optional<std::span<const uint8_t>> key;    // nullopt: null key
  std::optional<std::span<const uint8_t>> value;  // nullopt: tombstone
};

class record_reader {
 public:
  // batch: one whole batch, already validated (validate_batch).
  explicit record_reader(std::span<const uint8_t> batch);
  bool compressed() const { return compressed_; }
  // False once a record did not decode: the rest is not read.
  bool valid() const { return valid_; }
  // The next record, or nullopt at the end (or on a malformed record).
  std::optional<record_view> next();

 private:
  std::optional<int64_t> varlong();
  std::optional<std::span<const uint8_t>> take(int64_t n);

  std::span<const uint8_t> body_;
  size_t pos_ = 0;
  int64_t base_offset_ = 0;
  int64_t base_timestamp_ = 0;
  int32_t remaining_ = 0;
  bool compressed_ = false;
  bool valid_ = true;
};

}  // namespace rill::storage
