#include "storage/batch_builder.h"

#include "base/byte_order.h"
#include "storage/crc32c.h"
#include "storage/record_batch.h"

namespace rill::storage {
namespace {

void put_varlong(std::vector<uint8_t>& out, int64_t v) {
  uint64_t z = (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
  while (z >= 0x80) {
    out.push_back(static_cast<uint8_t>(z | 0x80));
    z >>= 7;
  }
  out.push_back(static_cast<uint8_t>(z));
}

void put_bytes(std::vector<uint8_t>& out, const std::optional<std::string>& s) {
  if (!s) {
    put_varlong(out, -1);
    return;
  }
  put_varlong(out, static_cast<int64_t>(s->size()));
  out.insert(out.end(), s->begin(), s->end());
}

std::vector<uint8_t> encode_record(const record_spec& r, int32_t offset_delta) {
  std::vector<uint8_t> body;
  body.push_back(0);  // attributes
  put_varlong(body, r.timestamp_delta_ms);
  put_varlong(body, offset_delta);
  put_bytes(body, r.key);
  put_bytes(body, r.value);
  put_varlong(body, static_cast<int64_t>(r.headers.size()));
  for (const record_header& h : r.headers) {
    put_bytes(body, h.key);
    put_bytes(body, h.value);
  }
  std::vector<uint8_t> out;
  put_varlong(out, static_cast<int64_t>(body.size()));
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

}  // namespace

std::vector<uint8_t> build_batch(const batch_spec& spec, const std::vector<record_spec>& records) {
  std::vector<uint8_t> out(batch_format::header_bytes, 0);
  int64_t max_ts = spec.base_timestamp_ms;
  for (size_t i = 0; i < records.size(); ++i) {
    auto rec = encode_record(records[i], static_cast<int32_t>(i));
    out.insert(out.end(), rec.begin(), rec.end());
    max_ts = std::max(max_ts, spec.base_timestamp_ms + records[i].timestamp_delta_ms);
  }
  uint8_t* p = out.data();
  store_be64(p + batch_format::base_offset, static_cast<uint64_t>(spec.base_offset));
  store_be32(p + batch_format::batch_length,
             static_cast<uint32_t>(out.size() - batch_format::length_prefix_bytes));
  store_be32(p + batch_format::partition_leader_epoch, static_cast<uint32_t>(spec.leader_epoch));
  p[batch_format::magic] = batch_format::current_magic;
  store_be16(p + batch_format::attributes, spec.attributes);
  store_be32(p + batch_format::last_offset_delta, static_cast<uint32_t>(records.size() - 1));
  store_be64(p + batch_format::base_timestamp, static_cast<uint64_t>(spec.base_timestamp_ms));
  store_be64(p + batch_format::max_timestamp, static_cast<uint64_t>(max_ts));
  store_be64(p + batch_format::producer_id, static_cast<uint64_t>(spec.producer_id));
  store_be16(p + batch_format::producer_epoch, static_cast<uint16_t>(spec.producer_epoch));
  store_be32(p + batch_format::base_sequence, static_cast<uint32_t>(spec.base_sequence));
  store_be32(p + batch_format::records_count, static_cast<uint32_t>(records.size()));
  uint32_t crc = crc32c({p + batch_format::attributes, out.size() - batch_format::attributes});
  store_be32(p + batch_format::crc, crc);
  return out;
}

std::vector<uint8_t> build_filled_batch(const batch_spec& spec, int records, size_t value_bytes,
                                        uint32_t seed) {
  std::vector<record_spec> specs(static_cast<size_t>(records));
  for (int i = 0; i < records; ++i) {
    std::string value(value_bytes, '\0');
    for (size_t j = 0; j < value_bytes; ++j)
      value[j] = static_cast<char>('a' + (seed + i + j) % 26);
    specs[static_cast<size_t>(i)].value = std::move(value);
  }
  return build_batch(spec, specs);
}

}  // namespace rill::storage
