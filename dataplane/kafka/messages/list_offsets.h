// ListOffsets (key 2), v1-v7.
#pragma once

#include <string>
#include <vector>

#include "base/wire.h"
#include "dataplane/kafka/protocol.h"
#include "dataplane/kafka/request_header.h"

namespace rill::kafka {

constexpr int64_t k_latest_timestamp = -1;
constexpr int64_t k_earliest_timestamp = -2;
constexpr int64_t k_max_timestamp = -3;

struct list_offsets_partition {
  int32_t index = 0;
  int32_t current_leader_epoch = -1;
  int64_t timestamp = k_latest_timestamp;
};

struct list_offsets_topic {
  std::string name;
  std::vector<list_offsets_partition> partitions;
};

struct list_offsets_request {
  int32_t replica_id = -1;
  int8_t isolation_level = 0;
  std::vector<list_offsets_topic> topics;
};

struct list_offsets_partition_response {
  int32_t index = 0;
  error_code error = error_code::none;
  int64_t timestamp = -1;
  int64_t offset = -1;
  int32_t leader_epoch = -1;
};

struct list_offsets_topic_response {
  std::string name;
  std::vector<list_offsets_partition_response> partitions;
};

bool decode_list_offsets_request(wire_reader& in, const request_header& h,
                                 list_offsets_request* out);
void encode_list_offsets_response(wire_writer& out, const request_header& h,
                                  const std::vector<list_offsets_topic_response>& topics);

}  // namespace rill::kafka
