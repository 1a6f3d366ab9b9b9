// The Kafka protocol's constants as Rill speaks them: API keys, the version
// ranges Rill answers, where each API turns flexible, and error codes.
// docs/formats/kafka_protocol.md lists the same table. Never renumber.
#pragma once

#include <cstdint>
#include <span>

namespace rill::kafka {

enum class api_key : int16_t {
  produce = 0,
  fetch = 1,
  list_offsets = 2,
  metadata = 3,
  find_coordinator = 10,
  api_versions = 18,
  create_topics = 19,
  delete_topics = 20,
  init_producer_id = 22,
  offset_for_leader_epoch = 23,
  describe_configs = 32,
  alter_configs = 33,
  elect_leaders = 43,
};

struct api_range {
  api_key key;
  int16_t min_version;
  int16_t max_version;
  int16_t first_flexible;  // first version using flexible encoding
};

// The APIs this broker answers. The ranges keep Produce v3, Fetch v4,
// InitProducerId v0 and FindCoordinator v0 inside, for older librdkafka.
constexpr api_range k_supported_apis[] = {
    // clang-format off
    {api_key::produce, 3, 9, 9},
    {api_key::fetch, 4, 12, 12},
    {api_key::list_offsets, 1, 7, 6},
    {api_key::metadata, 1, 12, 9},
    {api_key::find_coordinator, 0, 2, 3},
    {api_key::api_versions, 0, 3, 3},
    {api_key::create_topics, 0, 4, 5},
    {api_key::delete_topics, 0, 3, 4},
    {api_key::init_producer_id, 0, 4, 2},
    {api_key::describe_configs, 0, 3, 4},
    {api_key::alter_configs, 0, 1, 2},
    {api_key::elect_leaders, 0, 1, 2},
    // clang-format on
};

const api_range* find_api(int16_t key);
const char* api_name(int16_t key);

enum class error_code : int16_t {
  none = 0,
  offset_out_of_range = 1,
  corrupt_message = 2,
  unknown_topic_or_partition = 3,
  leader_not_available = 5,
  not_leader_or_follower = 6,
  request_timed_out = 7,
  message_too_large = 10,
  coordinator_not_available = 15,
  invalid_topic_exception = 17,
  not_enough_replicas = 19,
  not_enough_replicas_after_append = 20,
  invalid_required_acks = 21,
  unsupported_version = 35,
  topic_already_exists = 36,
  invalid_partitions = 37,
  invalid_replication_factor = 38,
  invalid_config = 40,
  invalid_request = 42,
  out_of_order_sequence_number = 45,
  duplicate_sequence_number = 46,
  invalid_producer_epoch = 47,
  unknown_producer_id = 59,
  kafka_storage_error = 56,
  fenced_leader_epoch = 74,
  unknown_leader_epoch = 75,
  unknown_server_error = -1,
};

constexpr int32_t k_frame_header_bytes = 4;

}  // namespace rill::kafka
