// The administrative APIs: CreateTopics (19) v0-v4, DeleteTopics (20) v0-v3,
// DescribeConfigs (32) v0-v3, InitProducerId (22) v0-v4.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/wire.h"
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
  std::optional<std::string> message;
};

bool decode_create_topics_request(wire_reader& in, const request_header& h,
                                  create_topics_request* out);
void encode_create_topics_response(wire_writer& out, const request_header& h,
                                   const std::vector<topic_result>& results);

struct delete_topics_request {
  std::vector<std::string> names;
  int32_t timeout_ms = 0;
};
bool decode_delete_topics_request(wire_reader& in, const request_header& h,
                                  delete_topics_request* out);
void encode_delete_topics_response(wire_writer& out, const request_header& h,
                                   const std::vector<topic_result>& results);

constexpr int8_t k_resource_topic = 2;
constexpr int8_t k_resource_broker = 4;

struct describe_configs_resource {
  int8_t type = 0;
  std::string name;
  std::optional<std::vector<std::string>> keys;
};
struct describe_configs_request {
  std::vector<describe_configs_resource> resources;
};
struct config_entry {
  std::string name;
  std::optional<std::string> value;
  bool read_only = false;
  bool is_default = false;
};
struct describe_configs_result {
  error_code error = error_code::none;
  std::optional<std::string> message;
  int8_t type = 0;
  std::string name;
  std::vector<config_entry> configs;
};
bool decode_describe_configs_request(wire_reader& in, const request_header& h,
                                     describe_configs_request* out);
void encode_describe_configs_response(wire_writer& out, const request_header& h,
                                      const std::vector<describe_configs_result>& results);

struct init_producer_id_request {
  std::optional<std::string> transactional_id;
  int32_t transaction_timeout_ms = 0;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
};
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
bool decode_elect_leaders_request(wire_reader& in, const request_header& h,
                                  elect_leaders_request* out);
void encode_elect_leaders_response(wire_writer& out, const request_header& h, error_code top,
                                   const std::vector<elect_leaders_result>& results);

}  // namespace rill::kafka
