// IncrementalAlterConfigs (44) v0-1, described once (see field_io.h), from
// Kafka's message schema. AlterConfigs and DescribeConfigs are in admin.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "dataplane/kafka/messages/field_io.h"

namespace rill::kafka {

// KIP-339's operations on one config.
enum class config_operation : int8_t { set = 0, remove = 1, append = 2, subtract = 3 };

struct incremental_config {
  std::string name;
  int8_t operation = 0;  // config_operation
  std::optional<std::string> value;
};
struct incremental_resource {
  int8_t type = 0;  // 2 topic, 4 broker
  std::string name;
  std::vector<incremental_config> configs;
};
struct incremental_alter_configs_request {
  std::vector<incremental_resource> resources;
  bool validate_only = false;
};
struct incremental_alter_result {
  int16_t error = 0;
  std::optional<std::string> error_message;
  int8_t type = 0;
  std::string name;
};
struct incremental_alter_configs_response {
  int32_t throttle_time_ms = 0;
  std::vector<incremental_alter_result> responses;
};

template <typename IO, typename M>
void describe(IO& io, M& m) requires
    std::is_same_v<std::remove_const_t<M>, incremental_alter_configs_request> {
  io.array(m.resources, [](IO& io, auto& r) {
    io.i8(r.type);
    io.string(r.name);
    io.array(r.configs, [](IO& io, auto& c) {
      io.string(c.name);
      io.i8(c.operation);
      io.nullable_string(c.value);
      io.tagged_fields();
    });
    io.tagged_fields();
  });
  io.boolean(m.validate_only);
  io.tagged_fields();
}

template <typename IO, typename M>
void describe(IO& io, M& m) requires
    std::is_same_v<std::remove_const_t<M>, incremental_alter_configs_response> {
  io.i32(m.throttle_time_ms);
  io.array(m.responses, [](IO& io, auto& r) {
    io.i16(r.error);
    io.nullable_string(r.error_message);
    io.i8(r.type);
    io.string(r.name);
    io.tagged_fields();
  });
  io.tagged_fields();
}

}  // namespace rill::kafka
