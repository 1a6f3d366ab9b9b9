// batch_builder: builds uncompressed RecordBatch v2 bytes, the way a Kafka
// producer does. Used by tests, benchmarks and tools that need real batches.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace rill::storage {

struct record_header {
  std::string key;
  std::optional<std::string> value;
};

struct record_spec {
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::vector<record_header> headers;
  int64_t timestamp_delta_ms = 0;
};

struct batch_spec {
  int64_t base_offset = 0;
  int32_t leader_epoch = 0;
  int64_t base_timestamp_ms = 0;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int32_t base_sequence = -1;
  uint16_t attributes = 0;  // batch_format flags: transactional, control
};

std::vector<uint8_t> build_batch(const batch_spec& spec, const std::vector<record_spec>& records);

// n records with values of value_bytes bytes each (contents derived from seed).
std::vector<uint8_t> build_filled_batch(const batch_spec& spec, int records, size_t value_bytes,
                                        uint32_t seed = 0);

}  // namespace rill::storage
