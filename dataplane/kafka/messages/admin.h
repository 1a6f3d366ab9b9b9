// The administrative APIs: CreateTopics (19) v0-v4, DeleteTopics (20) v0-v3,
// DescribeConfigs (32) v0-v3, InitProducerId (22) v0-v4, AlterConfigs (33)
// v0-v1, ElectLeaders (43) v0-v1, each described once (field_io.h) from
// Kafka's message schemas.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/wire.h"
#include "dataplane/kafka/messages/field_io.h"
#include "dataplane/kafka/protocol.h"
#include "dataplane/kafka/request_header.h"

namespace rill::kafka {

struct create_topic_spec {
  std::string name;
  int32_t partitions = -1;          // -1: broker default
  int16_t replication_factor = -1;  // -1: broker default
  std::vector<std::pair<int32_t, std::vector<int32_t>>> assignments;
  std::vector<std::pair<std::string, std::optional<std::string>>> configs;
};

struct create_topics_request {
  std::vector<create_topic_spec> topics;
  int32_t timeout_ms = 0;
  bool validate_only = false;
};

struct topic_result {
  std::string name;
  error_code error = error_code::none;
  std::optional<std::string> message;  // v1+
};

struct create_topics_response {
  int32_t throttle_time_ms = 0;  // v2+
  std::vector<topic_result> topics;
};

template <typename IO, typename M>
void describe(IO& io, M& m) requires std::is_same_v<std::remove_const_t<M>, create_topics_request> {
  io.array(m.topics, [](IO& io, auto& t) {
    io.string(t.name);
    io.i32(t.partitions);
    io.i16(t.replication_factor);
    io.array(t.assignments, [](IO& io, auto& a) {
      io.i32(a.first);
      io.int32_array(a.second);
      io.tagged_fields();
    });
    io.array(t.configs, [](IO& io, auto& c) {
      io.string(c.first);
      io.nullable_string(c.second);
      io.tagged_fields();
    });
    io.tagged_fields();
  });
  io.i32(m.timeout_ms);
  if (io.version() >= 1) io.boolean(m.validate_only);
  io.tagged_fields();
}

// v0-v4 (the versions served; v5+ add the created topic's settings).
template <typename IO, typename M>
void describe(IO& io,
              M& m) requires std::is_same_v<std::remove_const_t<M>, create_topics_response> {
  if (io.version() >= 2) io.i32(m.throttle_time_ms);
  io.array(m.topics, [](IO& io, auto& t) {
    io.string(t.name);
    io.error(t.error);
    if (io.version() >= 1) io.nullable_string(t.message);
    io.tagged_fields();
  });
  io.tagged_fields();
}

struct delete_topics_request {
  std::vector<std::string> names;
  int32_t timeout_ms = 0;
};
struct deleted_topic {
  std::string name;
  int16_t error = 0;
};
struct delete_topics_response {
  int32_t throttle_time_ms = 0;  // v1+
  std::vector<deleted_topic> topics;
};

template <typename IO, typename M>
void describe(IO& io, M& m) requires std::is_same_v<std::remove_const_t<M>, delete_topics_request> {
  io.string_array(m.names);
  io.i32(m.timeout_ms);
  io.tagged_fields();
}

template <typename IO, typename M>
void describe(IO& io,
              M& m) requires std::is_same_v<std::remove_const_t<M>, delete_topics_response> {
  if (io.version() >= 1) io.i32(m.throttle_time_ms);
  io.array(m.topics, [](IO& io, auto& t) {
    io.string(t.name);
    io.i16(t.error);
    io.tagged_fields();
  });
  io.tagged_fields();
}
bool decode_delete_topics_request(wire_reader& in, const request_header& h,
                                  delete_topics_request* out);
void encode_delete_topics_response(wire_writer& out, const request_header& h,
                                   const std::vector<topic_result>& results);

constexpr int8_t k_resource_topic = 2;
constexpr int8_t k_resource_broker = 4;

struct describe_configs_resource {
  int8_t type = 0;
  std::string name;
  std::optional<std::vector<std::string>> keys;  // nullopt: every config
};
struct describe_configs_request {
  std::vector<describe_configs_resource> resources;
  bool include_synonyms = false;       // v1+
  bool include_documentation = false;  // v3+
};

// Where a config's value comes from (Kafka's ConfigSource).
constexpr int8_t k_config_source_unknown = 0;
constexpr int8_t k_config_source_dynamic_topic = 1;
constexpr int8_t k_config_source_static_broker = 4;
constexpr int8_t k_config_source_default = 5;

struct config_synonym {
  std::string name;
  std::optional<std::string> value;
  int8_t source = 0;
};
struct config_entry {
  std::string name;
  std::optional<std::string> value;
  bool read_only = false;
  bool is_default = false;                  // v0; v1+ say it with source
  int8_t source = k_config_source_unknown;  // v1+
  bool is_sensitive = false;
  std::vector<config_synonym> synonyms;      // v1+
  int8_t config_type = 0;                    // v3+; 0: unknown
  std::optional<std::string> documentation;  // v3+
};
struct describe_configs_result {
  error_code error = error_code::none;
  std::optional<std::string> message;
  int8_t type = 0;
  std::string name;
  std::vector<config_entry> configs;
};
struct describe_configs_response {
  int32_t throttle_time_ms = 0;
  std::vector<describe_configs_result> results;
};

template <typename IO, typename M>
void describe(IO& io,
              M& m) requires std::is_same_v<std::remove_const_t<M>, describe_configs_request> {
  io.array(m.resources, [](IO& io, auto& r) {
    io.i8(r.type);
    io.string(r.name);
    io.nullable_array(r.keys, [](IO& io, auto& k) { io.string(k); });
    io.tagged_fields();
  });
  if (io.version() >= 1) io.boolean(m.include_synonyms);
  if (io.version() >= 3) io.boolean(m.include_documentation);
  io.tagged_fields();
}

template <typename IO, typename M>
void describe(IO& io,
              M& m) requires std::is_same_v<std::remove_const_t<M>, describe_configs_response> {
  io.i32(m.throttle_time_ms);
  io.array(m.results, [](IO& io, auto& r) {
    io.error(r.error);
    io.nullable_string(r.message);
    io.i8(r.type);
    io.string(r.name);
    io.array(r.configs, [](IO& io, auto& c) {
      io.string(c.name);
      io.nullable_string(c.value);
      io.boolean(c.read_only);
      if (io.version() == 0) io.boolean(c.is_default);
      if (io.version() >= 1) io.i8(c.source);
      io.boolean(c.is_sensitive);
      if (io.version() >= 1) {
        io.array(c.synonyms, [](IO& io, auto& syn) {
          io.string(syn.name);
          io.nullable_string(syn.value);
          io.i8(syn.source);
          io.tagged_fields();
        });
      }
      if (io.version() >= 3) {
        io.i8(c.config_type);
        io.nullable_string(c.documentation);
      }
      io.tagged_fields();
    });
    io.tagged_fields();
  });
  io.tagged_fields();
}

struct init_producer_id_request {
  std::optional<std::string> transactional_id;
  int32_t transaction_timeout_ms = 0;
  int64_t producer_id = -1;     // v3+
  int16_t producer_epoch = -1;  // v3+
};
struct init_producer_id_response {
  int32_t throttle_time_ms = 0;
  int16_t error = 0;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
};

template <typename IO, typename M>
void describe(IO& io,
              M& m) requires std::is_same_v<std::remove_const_t<M>, init_producer_id_request> {
  io.nullable_string(m.transactional_id);
  io.i32(m.transaction_timeout_ms);
  if (io.version() >= 3) {
    io.i64(m.producer_id);
    io.i16(m.producer_epoch);
  }
  io.tagged_fields();
}

template <typename IO, typename M>
void describe(IO& io,
              M& m) requires std::is_same_v<std::remove_const_t<M>, init_producer_id_response> {
  io.i32(m.throttle_time_ms);
  io.i16(m.error);
  io.i64(m.producer_id);
  io.i16(m.producer_epoch);
  io.tagged_fields();
}
bool decode_init_producer_id_request(wire_reader& in, const request_header& h,
                                     init_producer_id_request* out);
void encode_init_producer_id_response(wire_writer& out, const request_header& h, error_code error,
                                      int64_t producer_id, int16_t producer_epoch);

struct alter_configs_request {
  struct resource {
    int8_t type = 0;
    std::string name;
    std::vector<std::pair<std::string, std::optional<std::string>>> configs;
  };
  std::vector<resource> resources;
  bool validate_only = false;
};
struct alter_configs_result {
  error_code error = error_code::none;
  std::optional<std::string> message;
  int8_t type = 0;
  std::string name;
};
struct alter_configs_wire_result {
  int16_t error = 0;
  std::optional<std::string> message;
  int8_t type = 0;
  std::string name;
};
struct alter_configs_response {
  int32_t throttle_time_ms = 0;
  std::vector<alter_configs_wire_result> responses;
};

template <typename IO, typename M>
void describe(IO& io, M& m) requires std::is_same_v<std::remove_const_t<M>, alter_configs_request> {
  io.array(m.resources, [](IO& io, auto& r) {
    io.i8(r.type);
    io.string(r.name);
    io.array(r.configs, [](IO& io, auto& c) {
      io.string(c.first);
      io.nullable_string(c.second);
      io.tagged_fields();
    });
    io.tagged_fields();
  });
  io.boolean(m.validate_only);
  io.tagged_fields();
}

template <typename IO, typename M>
void describe(IO& io,
              M& m) requires std::is_same_v<std::remove_const_t<M>, alter_configs_response> {
  io.i32(m.throttle_time_ms);
  io.array(m.responses, [](IO& io, auto& r) {
    io.i16(r.error);
    io.nullable_string(r.message);
    io.i8(r.type);
    io.string(r.name);
    io.tagged_fields();
  });
  io.tagged_fields();
}
bool decode_alter_configs_request(wire_reader& in, const request_header& h,
                                  alter_configs_request* out);
void encode_alter_configs_response(wire_writer& out, const request_header& h,
                                   const std::vector<alter_configs_result>& results);

struct elect_leaders_request {
  int8_t election_type = 0;  // 0: preferred, 1: unclean
  std::optional<std::vector<std::pair<std::string, std::vector<int32_t>>>>
      partitions;  // nullopt: all
  int32_t timeout_ms = 0;
};
struct elect_leaders_result {
  std::string topic;
  std::vector<std::pair<int32_t, error_code>> partitions;
};
struct elected_partition {
  int32_t partition = 0;
  int16_t error = 0;
  std::optional<std::string> message;
};
struct elected_topic {
  std::string topic;
  std::vector<elected_partition> partitions;
};
struct elect_leaders_response {
  int32_t throttle_time_ms = 0;
  int16_t error = 0;  // v1+
  std::vector<elected_topic> results;
};

template <typename IO, typename M>
void describe(IO& io, M& m) requires std::is_same_v<std::remove_const_t<M>, elect_leaders_request> {
  if (io.version() >= 1) io.i8(m.election_type);
  io.nullable_array(m.partitions, [](IO& io, auto& tp) {
    io.string(tp.first);
    io.int32_array(tp.second);
    io.tagged_fields();
  });
  io.i32(m.timeout_ms);
  io.tagged_fields();
}

template <typename IO, typename M>
void describe(IO& io,
              M& m) requires std::is_same_v<std::remove_const_t<M>, elect_leaders_response> {
  io.i32(m.throttle_time_ms);
  if (io.version() >= 1) io.i16(m.error);
  io.array(m.results, [](IO& io, auto& t) {
    io.string(t.topic);
    io.array(t.partitions, [](IO& io, auto& p) {
      io.i32(p.partition);
      io.i16(p.error);
      io.nullable_string(p.message);
      io.tagged_fields();
    });
    io.tagged_fields();
  });
  io.tagged_fields();
}
bool decode_elect_leaders_request(wire_reader& in, const request_header& h,
                                  elect_leaders_request* out);
void encode_elect_leaders_response(wire_writer& out, const request_header& h, error_code top,
                                   const std::vector<elect_leaders_result>& results);

}  // namespace rill::kafka
