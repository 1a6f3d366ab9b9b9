// Metadata (key 3), v0-v12, described once (field_io.h) from Kafka's
// message schema.
#pragma once

#include <array>
#include <climits>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "dataplane/kafka/messages/field_io.h"
#include "dataplane/kafka/protocol.h"

namespace rill::kafka {

struct metadata_request_topic {
  std::array<uint8_t, 16> id{};     // v10+
  std::optional<std::string> name;  // null (v10+) when asked by id
};

struct metadata_request {
  std::optional<std::vector<metadata_request_topic>> topics;  // nullopt (v1+): all topics
  bool allow_auto_topic_creation = true;                      // v4+
  bool include_cluster_authorized_operations = false;         // v8-v10
  bool include_topic_authorized_operations = false;           // v8+
};

// The topics a request names; nullopt for all of them (a null list, or an
// empty one at v0). Topics asked for by id only are left out: Rill answers
// by name.
std::optional<std::vector<std::string>> requested_topic_names(const metadata_request& r,
                                                              int16_t version);

struct metadata_broker {
  int32_t node_id = -1;
  std::string host;
  int32_t port = -1;
  std::optional<std::string> rack;  // v1+
};

struct metadata_partition {
  error_code error = error_code::none;
  int32_t index = 0;
  int32_t leader = -1;
  int32_t leader_epoch = -1;  // v7+
  std::vector<int32_t> replicas;
  std::vector<int32_t> isr;
  std::vector<int32_t> offline;  // v5+
};

// Authorized operations are not computed (no ACLs): Kafka's "omitted".
constexpr int32_t k_authorized_operations_omitted = INT32_MIN;

struct metadata_topic {
  error_code error = error_code::none;
  std::string name;
  std::array<uint8_t, 16> id{};  // v10+
  bool is_internal = false;      // v1+; __consumer_offsets
  std::vector<metadata_partition> partitions;
  int32_t topic_authorized_operations = k_authorized_operations_omitted;  // v8+
};

struct metadata_response {
  int32_t throttle_time_ms = 0;  // v3+
  std::vector<metadata_broker> brokers;
  std::optional<std::string> cluster_id;  // v2+
  int32_t controller_id = -1;             // v1+
  std::vector<metadata_topic> topics;
  int32_t cluster_authorized_operations = k_authorized_operations_omitted;  // v8-v10
};

template <typename IO, typename M>
void describe(IO& io, M& m) requires std::is_same_v<std::remove_const_t<M>, metadata_request> {
  auto each = [](IO& io, auto& t) {
    if (io.version() >= 10) io.uuid(t.id);
    io.nullable_string(t.name);
    io.tagged_fields();
  };
  if constexpr (!IO::reading) {
    if (io.version() == 0 && !m.topics) {
      // v0 has no null list: an empty one asks for all topics.
      const std::vector<metadata_request_topic> all;
      io.array(all, each);
    } else {
      io.nullable_array(m.topics, each);
    }
  } else {
    io.nullable_array(m.topics, each);
  }
  if (io.version() >= 4) io.boolean(m.allow_auto_topic_creation);
  if (io.version() >= 8 && io.version() <= 10) io.boolean(m.include_cluster_authorized_operations);
  if (io.version() >= 8) io.boolean(m.include_topic_authorized_operations);
  io.tagged_fields();
}

template <typename IO, typename M>
void describe(IO& io, M& m) requires std::is_same_v<std::remove_const_t<M>, metadata_response> {
  if (io.version() >= 3) io.i32(m.throttle_time_ms);
  io.array(m.brokers, [](IO& io, auto& b) {
    io.i32(b.node_id);
    io.string(b.host);
    io.i32(b.port);
    if (io.version() >= 1) io.nullable_string(b.rack);
    io.tagged_fields();
  });
  if (io.version() >= 2) io.nullable_string(m.cluster_id);
  if (io.version() >= 1) io.i32(m.controller_id);
  io.array(m.topics, [](IO& io, auto& t) {
    io.error(t.error);
    io.string(t.name);
    if (io.version() >= 10) io.uuid(t.id);
    if (io.version() >= 1) io.boolean(t.is_internal);
    io.array(t.partitions, [](IO& io, auto& p) {
      io.error(p.error);
      io.i32(p.index);
      io.i32(p.leader);
      if (io.version() >= 7) io.i32(p.leader_epoch);
      io.int32_array(p.replicas);
      io.int32_array(p.isr);
      if (io.version() >= 5) io.int32_array(p.offline);
      io.tagged_fields();
    });
    if (io.version() >= 8) io.i32(t.topic_authorized_operations);
    io.tagged_fields();
  });
  if (io.version() >= 8 && io.version() <= 10) io.i32(m.cluster_authorized_operations);
  io.tagged_fields();
}

}  // namespace rill::kafka
