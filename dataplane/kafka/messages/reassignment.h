// AlterPartitionReassignments (45) v0 and ListPartitionReassignments (46)
// v0, both always flexible, described once (see field_io.h) from Kafka's
// message schemas (KIP-455).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "dataplane/kafka/messages/field_io.h"

namespace rill::kafka {

// ---- AlterPartitionReassignments ----
struct reassign_partition_request {
  int32_t partition = 0;
  std::optional<std::vector<int32_t>> replicas;  // null: cancel
};
struct reassign_topic_request {
  std::string name;
  std::vector<reassign_partition_request> partitions;
};
struct alter_partition_reassignments_request {
  int32_t timeout_ms = 60000;
  std::vector<reassign_topic_request> topics;
};
struct reassign_partition_result {
  int32_t partition = 0;
  int16_t error = 0;
  std::optional<std::string> error_message;
};
struct reassign_topic_result {
  std::string name;
  std::vector<reassign_partition_result> partitions;
};
struct alter_partition_reassignments_response {
  int32_t throttle_time_ms = 0;
  int16_t error = 0;
  std::optional<std::string> error_message;
  std::vector<reassign_topic_result> topics;
};

template <typename IO, typename M>
void describe(IO& io, M& m) requires
    std::is_same_v<std::remove_const_t<M>, alter_partition_reassignments_request> {
  io.i32(m.timeout_ms);
  io.array(m.topics, [](IO& io, auto& t) {
    io.string(t.name);
    io.array(t.partitions, [](IO& io, auto& p) {
      io.i32(p.partition);
      io.nullable_array(p.replicas, [](IO& io, auto& r) { io.i32(r); });
      io.tagged_fields();
    });
    io.tagged_fields();
  });
  io.tagged_fields();
}

template <typename IO, typename M>
void describe(IO& io, M& m) requires
    std::is_same_v<std::remove_const_t<M>, alter_partition_reassignments_response> {
  io.i32(m.throttle_time_ms);
  io.i16(m.error);
  io.nullable_string(m.error_message);
  io.array(m.topics, [](IO& io, auto& t) {
    io.string(t.name);
    io.array(t.partitions, [](IO& io, auto& p) {
      io.i32(p.partition);
      io.i16(p.error);
      io.nullable_string(p.error_message);
      io.tagged_fields();
    });
    io.tagged_fields();
  });
  io.tagged_fields();
}

// ---- ListPartitionReassignments ----
struct list_reassignments_topic {
  std::string name;
  std::vector<int32_t> partitions;
};
struct list_partition_reassignments_request {
  int32_t timeout_ms = 60000;
  std::optional<std::vector<list_reassignments_topic>> topics;  // null: all
};
struct ongoing_partition {
  int32_t partition = 0;
  std::vector<int32_t> replicas;
  std::vector<int32_t> adding_replicas;
  std::vector<int32_t> removing_replicas;
};
struct ongoing_topic {
  std::string name;
  std::vector<ongoing_partition> partitions;
};
struct list_partition_reassignments_response {
  int32_t throttle_time_ms = 0;
  int16_t error = 0;
  std::optional<std::string> error_message;
  std::vector<ongoing_topic> topics;
};

template <typename IO, typename M>
void describe(IO& io, M& m) requires
    std::is_same_v<std::remove_const_t<M>, list_partition_reassignments_request> {
  io.i32(m.timeout_ms);
  io.nullable_array(m.topics, [](IO& io, auto& t) {
    io.string(t.name);
    io.int32_array(t.partitions);
    io.tagged_fields();
  });
  io.tagged_fields();
}

template <typename IO, typename M>
void describe(IO& io, M& m) requires
    std::is_same_v<std::remove_const_t<M>, list_partition_reassignments_response> {
  io.i32(m.throttle_time_ms);
  io.i16(m.error);
  io.nullable_string(m.error_message);
  io.array(m.topics, [](IO& io, auto& t) {
    io.string(t.name);
    io.array(t.partitions, [](IO& io, auto& p) {
      io.i32(p.partition);
      io.int32_array(p.replicas);
      io.int32_array(p.adding_replicas);
      io.int32_array(p.removing_replicas);
      io.tagged_fields();
    });
    io.tagged_fields();
  });
  io.tagged_fields();
}

}  // namespace rill::kafka
