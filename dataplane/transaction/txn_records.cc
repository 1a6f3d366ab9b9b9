#include "dataplane/transaction/txn_records.h"

#include <map>

#include "base/wire.h"

namespace rill::transaction {
namespace {
constexpr int16_t k_key_version = 0;
constexpr int16_t k_value_version = 0;
}  // namespace

std::vector<uint8_t> encode_txn_key(const std::string& transactional_id) {
  wire_writer out;
  out.i16(k_key_version);
  out.string(transactional_id, false);
  return std::move(out.bytes());
}

std::vector<uint8_t> encode_txn_value(const txn_metadata& m) {
  std::map<std::string, std::vector<int32_t>> by_topic;
  for (const auto& [topic, partition] : m.partitions) by_topic[topic].push_back(partition);
  wire_writer out;
  out.i16(k_value_version);
  out.i64(m.producer_id);
  out.i16(m.producer_epoch);
  out.i32(m.timeout_ms);
  out.i8(static_cast<int8_t>(m.status));
  out.array_length(static_cast<int32_t>(by_topic.size()), false);
  for (const auto& [topic, partitions] : by_topic) {
    out.string(topic, false);
    out.array_length(static_cast<int32_t>(partitions.size()), false);
    for (int32_t p : partitions) out.i32(p);
  }
  out.i64(m.update_ms);
  out.i64(m.start_ms);
  return std::move(out.bytes());
}

std::optional<std::string> decode_txn_key(std::span<const uint8_t> bytes) {
  wire_reader in(bytes);
  if (in.i16() != k_key_version) return std::nullopt;
  std::string id = in.string(false);
  if (!in.ok()) return std::nullopt;
  return id;
}

std::optional<txn_metadata> decode_txn_value(const std::string& id,
                                             std::span<const uint8_t> bytes) {
  wire_reader in(bytes);
  if (in.i16() != k_value_version) return std::nullopt;
  txn_metadata m{.id = id};
  m.producer_id = in.i64();
  m.producer_epoch = in.i16();
  m.timeout_ms = in.i32();
  int8_t status = in.i8();
  if (status < 0 || status > static_cast<int8_t>(txn_status::prepare_epoch_fence)) {
    return std::nullopt;
  }
  m.status = static_cast<txn_status>(status);
  int32_t topics = in.array_length(false, 6);
  for (int32_t t = 0; t < topics && in.ok(); ++t) {
    std::string topic = in.string(false);
    int32_t partitions = in.array_length(false, 4);
    for (int32_t p = 0; p < partitions && in.ok(); ++p) m.partitions.emplace(topic, in.i32());
  }
  m.update_ms = in.i64();
  m.start_ms = in.i64();
  if (!in.ok()) return std::nullopt;
  return m;
}

}  // namespace rill::transaction
