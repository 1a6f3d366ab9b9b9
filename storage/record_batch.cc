#include "storage/record_batch.h"

#include "base/assert.h"
#include "storage/crc32c.h"

namespace rill::storage {

const char* batch_errc_name(batch_errc e) {
  switch (e) {
    case batch_errc::ok:
      return "ok";
    case batch_errc::truncated:
      return "truncated batch";
    case batch_errc::bad_length:
      return "bad batch length";
    case batch_errc::bad_magic:
      return "unsupported magic";
    case batch_errc::bad_crc:
      return "CRC mismatch";
    case batch_errc::bad_record_count:
      return "record count does not match offset delta";
  }
  return "?";
}

batch_errc validate_batch(std::span<const uint8_t> data, size_t batch_bytes_max, count_check check,
                          size_t* size) {
  if (data.size() < batch_format::header_bytes) return batch_errc::truncated;
  batch_view v(data.data());
  int32_t length = v.batch_length();
  if (length <
      static_cast<int32_t>(batch_format::header_bytes - batch_format::length_prefix_bytes)) {
    return batch_errc::bad_length;
  }
  size_t total = v.size_bytes();
  if (total > batch_bytes_max) return batch_errc::bad_length;
  if (total > data.size()) return batch_errc::truncated;
  if (v.magic() != batch_format::current_magic) return batch_errc::bad_magic;
  uint32_t computed =
      crc32c(data.subspan(batch_format::attributes, total - batch_format::attributes));
  if (computed != v.crc()) return batch_errc::bad_crc;
  int32_t count = v.records_count();
  int32_t delta = v.last_offset_delta();
  if (delta < 0 || count < 0) return batch_errc::bad_record_count;
  if (check == count_check::exact && count != delta + 1) return batch_errc::bad_record_count;
  if (check == count_check::at_most && count > delta + 1) return batch_errc::bad_record_count;
  *size = total;
  return batch_errc::ok;
}

void assign_batch_offset(uint8_t* batch, int64_t base_offset, int32_t leader_epoch) {
  RILL_ASSERT(base_offset >= 0 && leader_epoch >= -1, "offset %lld epoch %d",
              static_cast<long long>(base_offset), leader_epoch);
  store_be64(batch + batch_format::base_offset, static_cast<uint64_t>(base_offset));
  store_be32(batch + batch_format::partition_leader_epoch, static_cast<uint32_t>(leader_epoch));
}

void stamp_log_append_time(uint8_t* batch, size_t size, int64_t now_ms) {
  RILL_ASSERT(size >= batch_format::header_bytes, "batch of %zu bytes", size);
  uint16_t attrs = load_be16(batch + batch_format::attributes);
  store_be16(batch + batch_format::attributes, attrs | batch_format::timestamp_type_log_append);
  store_be64(batch + batch_format::max_timestamp, static_cast<uint64_t>(now_ms));
  uint32_t crc = crc32c({batch + batch_format::attributes, size - batch_format::attributes});
  store_be32(batch + batch_format::crc, crc);
}

}  // namespace rill::storage
