// ListOffsets (key 2), v1-v7, described once (field_io.h) from Kafka's
// message schema.
#pragma once

#include <string>
#include <type_traits>
#include <vector>

#include "dataplane/kafka/messages/field_io.h"
#include "dataplane/kafka/protocol.h"

namespace rill::kafka {

constexpr int64_t k_latest_timestamp = -1;
constexpr int64_t k_earliest_timestamp = -2;
constexpr int64_t k_max_timestamp = -3;

struct list_offsets_partition {
  int32_t index = 0;
  int32_t current_leader_epoch = -1;  // v4+
  int64_t timestamp = k_latest_timestamp;
};

struct list_offsets_topic {
  std::string name;
  std::vector<list_offsets_partition> partitions;
};

struct list_offsets_request {
  int32_t replica_id = -1;
  int8_t isolation_level = 0;  // v2+
  std::vector<list_offsets_topic> topics;
};

struct list_offsets_partition_response {
  int32_t index = 0;
  error_code error = error_code::none;
  int64_t timestamp = -1;
  int64_t offset = -1;
  int32_t leader_epoch = -1;  // v4+
};

struct list_offsets_topic_response {
  std::string name;
  std::vector<list_offsets_partition_response> partitions;
};

struct list_offsets_response {
  int32_t throttle_time_ms = 0;  // v2+
  std::vector<list_offsets_topic_response> topics;
};

template <typename IO, typename M>
void describe(IO& io, M& m) requires std::is_same_v<std::remove_const_t<M>, list_offsets_request> {
  io.i32(m.replica_id);
  if (io.version() >= 2) io.i8(m.isolation_level);
  io.array(m.topics, [](IO& io, auto& t) {
    io.string(t.name);
    io.array(t.partitions, [](IO& io, auto& p) {
      io.i32(p.index);
      if (io.version() >= 4) io.i32(p.current_leader_epoch);
      io.i64(p.timestamp);
      io.tagged_fields();
    });
    io.tagged_fields();
  });
  io.tagged_fields();
}

template <typename IO, typename M>
void describe(IO& io, M& m) requires std::is_same_v<std::remove_const_t<M>, list_offsets_response> {
  if (io.version() >= 2) io.i32(m.throttle_time_ms);
  io.array(m.topics, [](IO& io, auto& t) {
    io.string(t.name);
    io.array(t.partitions, [](IO& io, auto& p) {
      io.i32(p.index);
      io.error(p.error);
      io.i64(p.timestamp);
      io.i64(p.offset);
      if (io.version() >= 4) io.i32(p.leader_epoch);
      io.tagged_fields();
    });
    io.tagged_fields();
  });
  io.tagged_fields();
}

}  // namespace rill::kafka
