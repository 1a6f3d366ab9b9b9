#include "storage/compaction.h"

#include "base/assert.h"
#include "base/byte_order.h"
#include "storage/compression.h"
#include "storage/crc32c.h"
#include "storage/record_batch.h"

namespace rill::storage {

key_map::hash128 key_map::hash_of(std::span<const uint8_t> key) {
  // FNV-1a and a multiply-xorshift mix: independent enough for the pair to
  // act as one 128-bit hash.
  uint64_t a = 1469598103934665603ULL;
  uint64_t b = 0x9E3779B97F4A7C15ULL ^ key.size();
  for (uint8_t c : key) {
    a = (a ^ c) * 1099511628211ULL;
    b = (b ^ c) * 0xBF58476D1CE4E5B9ULL;
    b ^= b >> 29;
  }
  return {a, b};
}

void key_map::put(std::span<const uint8_t> key, int64_t offset) {
  auto [it, inserted] = map_.try_emplace(hash_of(key), offset);
  if (!inserted && it->second < offset) it->second = offset;
}

std::optional<int64_t> key_map::latest(std::span<const uint8_t> key) const {
  auto it = map_.find(hash_of(key));
  if (it == map_.end()) return std::nullopt;
  return it->second;
}

filtered_batch filter_batch(std::span<const uint8_t> batch,
                            const std::function<bool(const record_view&)>& keep) {
  RILL_ASSERT(batch.size() >= batch_format::header_bytes, "a batch of %zu bytes", batch.size());
  batch_view view(batch.data());
  filtered_batch out;
  auto c = static_cast<codec>(view.attributes() & batch_format::compression_mask);
  std::optional<std::vector<uint8_t>> plain;
  if (c != codec::none) plain = inflated_batch(batch, k_inflated_batch_bytes_max);
  if (view.is_control() || (c != codec::none && !plain)) {
    // Control batches stay; a batch that will not inflate is kept whole.
    out.bytes.assign(batch.begin(), batch.end());
    return out;
  }
  record_reader reader(plain ? std::span<const uint8_t>(*plain) : batch);
  std::vector<uint8_t> records;
  int32_t kept = 0;
  while (auto r = reader.next()) {
    if (keep(*r)) {
      records.insert(records.end(), r->bytes.begin(), r->bytes.end());
      ++kept;
    } else {
      ++out.removed;
    }
  }
  if (!reader.valid() || out.removed == 0) {
    // Compressed, or nothing to drop: the batch stays as it is.
    out.removed = 0;
    out.bytes.assign(batch.begin(), batch.end());
    return out;
  }
  out.bytes.assign(batch.begin(), batch.begin() + batch_format::header_bytes);
  if (kept == 0 && c != codec::none) {
    // An emptied batch is a bare header without a codec, as Kafka writes
    // one (clients take a compressed batch to carry a compressed payload).
    c = codec::none;
    store_be16(out.bytes.data() + batch_format::attributes,
               view.attributes() & static_cast<uint16_t>(~batch_format::compression_mask));
  }
  if (c != codec::none) {
    // Written back with the producer's codec (the attributes keep it).
    auto packed = compress(c, records);
    if (!packed.ok()) {
      out.removed = 0;
      out.bytes.assign(batch.begin(), batch.end());
      return out;
    }
    records = std::move(packed).value();
  }
  out.bytes.insert(out.bytes.end(), records.begin(), records.end());
  uint8_t* p = out.bytes.data();
  store_be32(p + batch_format::batch_length,
             static_cast<uint32_t>(out.bytes.size() - batch_format::length_prefix_bytes));
  store_be32(p + batch_format::records_count, static_cast<uint32_t>(kept));
  store_be32(p + batch_format::crc,
             crc32c({p + batch_format::attributes, out.bytes.size() - batch_format::attributes}));
  return out;
}

}  // namespace rill::storage
