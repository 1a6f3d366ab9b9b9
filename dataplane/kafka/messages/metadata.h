// Metadata (key 3), v1-v12.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "base/wire.h"
#include "dataplane/kafka/protocol.h"
#include "dataplane/kafka/request_header.h"

namespace rill::kafka {

struct metadata_request {
  std::optional<std::vector<std::string>> topics;  // nullopt: all topics
  bool allow_auto_topic_creation = true;
};

struct metadata_broker {
  int32_t node_id;
  std::string host;
  int32_t port;
  std::optional<std::string> rack;
};

struct metadata_partition {
  error_code error = error_code::none;
  int32_t index = 0;
  int32_t leader = -1;
  int32_t leader_epoch = -1;
  std::vector<int32_t> replicas;
  std::vector<int32_t> isr;
  std::vector<int32_t> offline;
};

struct metadata_topic {
  error_code error = error_code::none;
  std::string name;
  std::array<uint8_t, 16> id{};
  bool is_internal = false;  // __consumer_offsets
  std::vector<metadata_partition> partitions;
};

struct metadata_response {
  std::vector<metadata_broker> brokers;
  std::string cluster_id;
  int32_t controller_id = -1;
  std::vector<metadata_topic> topics;
};

bool decode_metadata_request(wire_reader& in, const request_header& h, metadata_request* out);
void encode_metadata_response(wire_writer& out, const request_header& h,
                              const metadata_response& r);

}  // namespace rill::kafka
