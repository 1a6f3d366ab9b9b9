#include "storage/control_batch.h"

#include "base/byte_order.h"
#include "storage/batch_builder.h"
#include "storage/record_batch.h"
#include "storage/record_reader.h"

namespace rill::storage {
namespace {

constexpr int16_t k_marker_version = 0;
constexpr size_t k_key_bytes = 4;    // version, type
constexpr size_t k_value_bytes = 6;  // version, coordinator epoch

}  // namespace

std::vector<uint8_t> build_marker_batch(int64_t producer_id, int16_t producer_epoch,
                                        txn_marker marker, int64_t timestamp_ms) {
  std::string key(k_key_bytes, '\0');
  std::string value(k_value_bytes, '\0');
  auto* k = reinterpret_cast<uint8_t*>(key.data());
  auto* v = reinterpret_cast<uint8_t*>(value.data());
  store_be16(k, static_cast<uint16_t>(k_marker_version));
  store_be16(k + 2, static_cast<uint16_t>(marker.type));
  store_be16(v, static_cast<uint16_t>(k_marker_version));
  store_be32(v + 2, static_cast<uint32_t>(marker.coordinator_epoch));
  batch_spec spec{.base_timestamp_ms = timestamp_ms,
                  .producer_id = producer_id,
                  .producer_epoch = producer_epoch,
                  .base_sequence = -1,
                  .attributes = batch_format::transactional_flag | batch_format::control_flag};
  return build_batch(spec, {record_spec{.key = std::move(key), .value = std::move(value)}});
}

std::optional<txn_marker> read_marker(std::span<const uint8_t> batch) {
  if (batch.size() < batch_format::header_bytes) return std::nullopt;
  batch_view view(batch.data());
  if (!view.is_control() || view.size_bytes() > batch.size()) return std::nullopt;
  record_reader records(batch.first(view.size_bytes()));
  std::optional<record_view> r = records.next();
  if (!r || !r->key || r->key->size() < k_key_bytes) return std::nullopt;
  const auto* k = r->key->data();
  auto type = static_cast<int16_t>(load_be16(k + 2));
  if (type != static_cast<int16_t>(marker_type::abort) &&
      type != static_cast<int16_t>(marker_type::commit)) {
    return std::nullopt;  // another control record (KIP-853's leader change, ...)
  }
  txn_marker m{.type = static_cast<marker_type>(type)};
  if (r->value && r->value->size() >= k_value_bytes) {
    m.coordinator_epoch = static_cast<int32_t>(load_be32(r->value->data() + 2));
  }
  return m;
}

}  // namespace rill::storage
