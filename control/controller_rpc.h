// The controller's RPCs between brokers (and the admin CLI) and the
// controller, in Kafka framing (int32 size, request header v1 with an API
// key from the internal range below, body). Never renumber.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/wire.h"
#include "control/metadata_model.h"
#include "control/reassignment.h"

namespace rill::control::rpc {

enum class api : int16_t {
  register_broker = 1000,
  heartbeat = 1001,
  fetch_metadata = 1002,
  create_topics = 1003,
  delete_topics = 1004,
  // 1005 was a single partition's AlterPartition, replaced by 1012.
  elect_preferred = 1006,
  alter_topic_config = 1007,
  report_replica_state = 1008,
  create_partitions = 1009,
  alter_reassignments = 1010,
  allocate_producer_ids = 1011,
  alter_partitions = 1012,
};

// Errors on the wire: the values of control::topic_errc, then these.
constexpr int16_t k_error_stale_broker_epoch = 100;  // register again
constexpr int16_t k_error_unknown_broker = 101;
constexpr int16_t k_error_isr_base = 200;       // + isr_change_errc
constexpr int16_t k_error_not_active = 300;     // a standby controller
constexpr int16_t k_error_reassign_base = 400;  // + reassign_errc

struct register_request {
  int32_t broker_id = -1;
  std::string host;
  int32_t port = 0;
  std::optional<std::string> rack;
};
struct register_response {
  int16_t error = 0;
  int64_t broker_epoch = -1;
  int32_t session_timeout_ms = 0;  // the broker's leadership lease derives from it
};

struct heartbeat_request {
  int32_t broker_id = -1;
  int64_t broker_epoch = -1;
  bool want_shutdown = false;
};
struct heartbeat_response {
  int16_t error = 0;
  int64_t metadata_epoch = -1;
  bool shutdown_ready = false;
};

struct fetch_metadata_request {
  int64_t known_epoch = -1;
  int32_t max_wait_ms = 0;
};
// When the broker is behind: the deltas from its known epoch to epoch
// (serialize_delta() texts, oldest first) when the controller still holds
// them all, else the whole snapshot.
struct fetch_metadata_response {
  int16_t error = 0;
  int64_t epoch = -1;
  std::optional<std::string> snapshot;  // serialize_snapshot() text
  std::vector<std::string> deltas;
};

struct topic_spec_wire {
  std::string name;
  int32_t partitions = -1;
  int32_t replication_factor = -1;
  std::vector<std::pair<std::string, std::string>> configs;
  std::vector<std::vector<int32_t>> assignments;  // empty: placed by the controller
};
struct create_topics_request {
  bool validate_only = false;
  std::vector<topic_spec_wire> topics;
};
struct topic_result_wire {
  std::string name;
  int16_t error = 0;
  std::string message;
};
struct topics_response {
  int64_t metadata_epoch = -1;
  std::vector<topic_result_wire> results;
};
struct delete_topics_request {
  std::vector<std::string> names;
};
// A block of producer ids for a registered broker (KIP-730).
struct allocate_producer_ids_request {
  int32_t broker_id = -1;
  int64_t broker_epoch = -1;
};
struct allocate_producer_ids_response {
  int16_t error = 0;
  int64_t first_id = -1;
  int32_t count = 0;
};

// Partition reassignments to start (a target) or cancel (none); answered
// with a topics_response whose results follow the request's order.
struct alter_reassignments_request {
  std::vector<partition_reassignment> partitions;
};
// The answer to each move: its own error, else the store's (store_error,
// a topic_errc).
std::vector<topic_result_wire> reassignment_results(const alter_reassignments_request& req,
                                                    const std::vector<reassign_errc>& errors,
                                                    int16_t store_error);
struct create_partitions_request {
  bool validate_only = false;
  struct topic {
    std::string name;
    int32_t count = 0;
    std::vector<std::vector<int32_t>> assignments;
  };
  std::vector<topic> topics;
};
struct alter_topic_config_request {
  std::string name;
  topic_config_change change;
};

// One partition's ISR change in an alter_partitions request (Kafka's
// AlterPartition carries many partitions too: a broker rejoining thousands
// of ISRs sends a few requests, not thousands).
struct alter_partition_request {
  int32_t broker_id = -1;
  std::string topic;
  int32_t partition = 0;
  int32_t leader_epoch = 0;
  int32_t partition_epoch = 0;
  std::vector<int32_t> isr;
};
struct alter_partition_response {
  int16_t error = 0;
  int32_t leader_epoch = -1;
  int32_t partition_epoch = -1;
  std::vector<int32_t> isr;
};
struct alter_partitions_request {
  std::vector<alter_partition_request> partitions;
};
// One answer per partition, in the request's order.
struct alter_partitions_response {
  std::vector<alter_partition_response> partitions;
};

// A broker's replica whose log failed (offline) or works again.
struct report_replica_state_request {
  int32_t broker_id = -1;
  int64_t broker_epoch = -1;
  std::string topic;
  int32_t partition = 0;
  bool offline = true;
};
struct report_replica_state_response {
  int16_t error = 0;
  int64_t metadata_epoch = -1;
};

struct elect_preferred_response {
  int16_t error = 0;
  int32_t moved = 0;
};

// encode_* write a body; decode_* read one and return false when malformed.
void encode(wire_writer& w, const register_request& m);
bool decode(wire_reader& r, register_request* m);
void encode(wire_writer& w, const register_response& m);
bool decode(wire_reader& r, register_response* m);
void encode(wire_writer& w, const heartbeat_request& m);
bool decode(wire_reader& r, heartbeat_request* m);
void encode(wire_writer& w, const heartbeat_response& m);
bool decode(wire_reader& r, heartbeat_response* m);
void encode(wire_writer& w, const fetch_metadata_request& m);
bool decode(wire_reader& r, fetch_metadata_request* m);
void encode(wire_writer& w, const fetch_metadata_response& m);
bool decode(wire_reader& r, fetch_metadata_response* m);
void encode(wire_writer& w, const create_topics_request& m);
bool decode(wire_reader& r, create_topics_request* m);
void encode(wire_writer& w, const topics_response& m);
bool decode(wire_reader& r, topics_response* m);
void encode(wire_writer& w, const delete_topics_request& m);
bool decode(wire_reader& r, delete_topics_request* m);
void encode(wire_writer& w, const allocate_producer_ids_request& m);
bool decode(wire_reader& r, allocate_producer_ids_request* m);
void encode(wire_writer& w, const allocate_producer_ids_response& m);
bool decode(wire_reader& r, allocate_producer_ids_response* m);
void encode(wire_writer& w, const alter_reassignments_request& m);
bool decode(wire_reader& r, alter_reassignments_request* m);
void encode(wire_writer& w, const create_partitions_request& m);
bool decode(wire_reader& r, create_partitions_request* m);
void encode(wire_writer& w, const alter_topic_config_request& m);
bool decode(wire_reader& r, alter_topic_config_request* m);
void encode(wire_writer& w, const alter_partition_request& m);
bool decode(wire_reader& r, alter_partition_request* m);
void encode(wire_writer& w, const alter_partition_response& m);
bool decode(wire_reader& r, alter_partition_response* m);
void encode(wire_writer& w, const alter_partitions_request& m);
bool decode(wire_reader& r, alter_partitions_request* m);
void encode(wire_writer& w, const alter_partitions_response& m);
bool decode(wire_reader& r, alter_partitions_response* m);
void encode(wire_writer& w, const report_replica_state_request& m);
bool decode(wire_reader& r, report_replica_state_request* m);
void encode(wire_writer& w, const report_replica_state_response& m);
bool decode(wire_reader& r, report_replica_state_response* m);
void encode(wire_writer& w, const elect_preferred_response& m);
bool decode(wire_reader& r, elect_preferred_response* m);

// The largest frames a controller accepts (requests) and a broker accepts
// (responses: a whole snapshot of a large cluster), length prefix excluded.
constexpr size_t k_request_bytes_max = 16 << 20;
constexpr size_t k_response_bytes_max = 32 << 20;

// One message's body as bytes, and back (nullopt: absent or malformed).
template <typename T>
std::vector<uint8_t> encoded(const T& m) {
  wire_writer w;
  encode(w, m);
  return std::move(w.bytes());
}

template <typename T>
std::optional<T> decoded(const std::optional<std::vector<uint8_t>>& body) {
  if (!body) return std::nullopt;
  wire_reader r(*body);
  T m;
  if (!decode(r, &m)) return std::nullopt;
  return m;
}

// Frames a request: size, header (key, version 0, correlation, client id), body.
std::vector<uint8_t> frame_request(api key, int32_t correlation, const std::vector<uint8_t>& body);
// Frames a response: size, correlation, body.
std::vector<uint8_t> frame_response(int32_t correlation, const std::vector<uint8_t>& body);

}  // namespace rill::control::rpc
