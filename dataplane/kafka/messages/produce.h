// Produce (key 0), v0-v9 (v0-v2 carry message formats v0/v1: see
// storage/legacy_message_set.h).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/wire.h"
#include "dataplane/kafka/protocol.h"
#include "dataplane/kafka/request_header.h"

namespace rill::kafka {

struct produce_partition {
  int32_t index = 0;
  // The record batches, copied out of the connection buffer (nullptr: null).
  std::shared_ptr<std::vector<uint8_t>> records;
};

struct produce_topic {
  std::string name;
  std::vector<produce_partition> partitions;
};

struct produce_request {
  std::optional<std::string> transactional_id;
  int16_t acks = -1;
  int32_t timeout_ms = 30000;
  std::vector<produce_topic> topics;
};

struct produce_partition_response {
  int32_t index = 0;
  error_code error = error_code::none;
  int64_t base_offset = -1;
  int64_t log_append_time_ms = -1;
  int64_t log_start_offset = -1;
  std::optional<std::string> error_message;
};

struct produce_topic_response {
  std::string name;
  std::vector<produce_partition_response> partitions;
};

bool decode_produce_request(wire_reader& in, const request_header& h, produce_request* out);
void encode_produce_response(wire_writer& out, const request_header& h,
                             const std::vector<produce_topic_response>& topics);

}  // namespace rill::kafka
