// Fetch (key 1), v4-v12.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/wire.h"
#include "dataplane/kafka/protocol.h"
#include "dataplane/kafka/request_header.h"
#include "dataplane/kafka/response_buffer.h"
#include "storage/partition_log.h"

namespace rill::kafka {

struct fetch_partition {
  int32_t index = 0;
  int32_t current_leader_epoch = -1;
  int64_t fetch_offset = 0;
  int32_t last_fetched_epoch = -1;
  int64_t log_start_offset = -1;
  int32_t max_bytes = 0;
};

struct fetch_topic {
  std::string name;
  std::vector<fetch_partition> partitions;
};

struct fetch_request {
  int32_t replica_id = -1;
  int32_t max_wait_ms = 0;
  int32_t min_bytes = 0;
  int32_t max_bytes = INT32_MAX;
  int8_t isolation_level = 0;
  int32_t session_id = 0;
  int32_t session_epoch = -1;
  std::vector<fetch_topic> topics;
};

struct fetch_partition_response {
  int32_t index = 0;
  error_code error = error_code::none;
  int64_t high_watermark = -1;
  int64_t last_stable_offset = -1;
  int64_t log_start_offset = -1;
  int32_t diverging_epoch = -1;  // v12 tagged DivergingEpoch, when >= 0
  int64_t diverging_end_offset = -1;
  int32_t current_leader_id = -1;  // v12 tagged CurrentLeader, when >= 0
  int32_t current_leader_epoch = -1;
  storage::read_result records;
};

struct fetch_topic_response {
  std::string name;
  std::vector<fetch_partition_response> partitions;
};

// Slices smaller than this are copied into the frame; larger ones are sent
// from the log's buffers.
constexpr size_t k_zero_copy_slice_bytes_min = 16 * 1024;

bool decode_fetch_request(wire_reader& in, const request_header& h, fetch_request* out);
void encode_fetch_response(response_buffer& out, const request_header& h, error_code top_error,
                           const std::vector<fetch_topic_response>& topics);

}  // namespace rill::kafka

namespace rill::kafka {

// The client side of Fetch, used by follower replicas (always v12).
constexpr int16_t k_replica_fetch_version = 12;

struct fetched_partition {
  int32_t index = 0;
  error_code error = error_code::none;
  int64_t high_watermark = -1;
  int64_t log_start_offset = -1;
  int32_t diverging_epoch = -1;
  int64_t diverging_end_offset = -1;
  std::span<const uint8_t> records;  // points into the response frame
};

struct fetched_topic {
  std::string name;
  std::vector<fetched_partition> partitions;
};

// Writes a whole v12 request frame (size, header v2, body).
std::vector<uint8_t> encode_fetch_request_frame(int32_t correlation, const std::string& client_id,
                                                const fetch_request& req);
// Reads a v12 response (after the 4-byte size): header v1 and body.
bool decode_fetch_response(wire_reader& in, int32_t* correlation, error_code* top_error,
                           std::vector<fetched_topic>* topics);

}  // namespace rill::kafka
