// Produce (key 0), v0-v9, described once (field_io.h) from Kafka's message
// schema. v0-v2 carry message formats v0/v1: see
// storage/legacy_message_set.h.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "dataplane/kafka/messages/field_io.h"
#include "dataplane/kafka/protocol.h"

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
  std::optional<std::string> transactional_id;  // v3+
  int16_t acks = -1;
  int32_t timeout_ms = 30000;
  std::vector<produce_topic> topics;
};

struct batch_index_error {
  int32_t batch_index = 0;
  std::optional<std::string> message;
};

struct produce_partition_response {
  int32_t index = 0;
  error_code error = error_code::none;
  int64_t base_offset = -1;
  int64_t log_append_time_ms = -1;               // v2+
  int64_t log_start_offset = -1;                 // v5+
  std::vector<batch_index_error> record_errors;  // v8+
  std::optional<std::string> error_message;      // v8+
};

struct produce_topic_response {
  std::string name;
  std::vector<produce_partition_response> partitions;
};

struct produce_response {
  std::vector<produce_topic_response> topics;
  int32_t throttle_time_ms = 0;  // v1+
};

template <typename IO, typename M>
void describe(IO& io, M& m) requires std::is_same_v<std::remove_const_t<M>, produce_request> {
  if (io.version() >= 3) io.nullable_string(m.transactional_id);
  io.i16(m.acks);
  io.i32(m.timeout_ms);
  io.array(m.topics, [](IO& io, auto& t) {
    io.string(t.name);
    io.array(t.partitions, [](IO& io, auto& p) {
      io.i32(p.index);
      io.records(p.records);
      io.tagged_fields();
    });
    io.tagged_fields();
  });
  io.tagged_fields();
}

template <typename IO, typename M>
void describe(IO& io, M& m) requires std::is_same_v<std::remove_const_t<M>, produce_response> {
  io.array(m.topics, [](IO& io, auto& t) {
    io.string(t.name);
    io.array(t.partitions, [](IO& io, auto& p) {
      io.i32(p.index);
      io.error(p.error);
      io.i64(p.base_offset);
      if (io.version() >= 2) io.i64(p.log_append_time_ms);
      if (io.version() >= 5) io.i64(p.log_start_offset);
      if (io.version() >= 8) {
        io.array(p.record_errors, [](IO& io, auto& e) {
          io.i32(e.batch_index);
          io.nullable_string(e.message);
          io.tagged_fields();
        });
        io.nullable_string(p.error_message);
      }
      io.tagged_fields();
    });
    io.tagged_fields();
  });
  if (io.version() >= 1) io.i32(m.throttle_time_ms);
  io.tagged_fields();
}

}  // namespace rill::kafka
