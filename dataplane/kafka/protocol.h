// The Kafka protocol's constants as Rill speaks them: API keys, the version
// ranges Rill answers, where each API turns flexible, and error codes.
// docs/formats/kafka_protocol.md lists the same table. Never renumber.
#pragma once

#include <climits>
#include <cstdint>
#include <span>

namespace rill::kafka {

enum class api_key : int16_t {
  produce = 0,
  fetch = 1,
  list_offsets = 2,
  metadata = 3,
  offset_commit = 8,
  offset_fetch = 9,
  find_coordinator = 10,
  join_group = 11,
  heartbeat = 12,
  leave_group = 13,
  sync_group = 14,
  describe_groups = 15,
  list_groups = 16,
  api_versions = 18,
  create_topics = 19,
  delete_topics = 20,
  delete_records = 21,
  init_producer_id = 22,
  offset_for_leader_epoch = 23,
  add_partitions_to_txn = 24,
  add_offsets_to_txn = 25,
  end_txn = 26,
  write_txn_markers = 27,
  txn_offset_commit = 28,
  describe_configs = 32,
  describe_log_dirs = 35,
  create_partitions = 37,
  alter_configs = 33,
  delete_groups = 42,
  elect_leaders = 43,
  incremental_alter_configs = 44,
  alter_partition_reassignments = 45,
  list_partition_reassignments = 46,
  offset_delete = 47,
  describe_cluster = 60,
  describe_producers = 61,
};

struct api_range {
  api_key key;
  int16_t min_version;
  int16_t max_version;
  int16_t first_flexible;  // first version using flexible encoding
};

constexpr int16_t k_never_flexible = INT16_MAX;

// The APIs this broker answers. The ranges keep Produce v0 (message formats
// v0/v1, up-converted), Fetch v4, InitProducerId v0 and FindCoordinator v0
// inside, for older clients;
// the group APIs span every version Kafka 3.x serves. Metadata v0 is what
// kafka-python sends after its ApiVersions probe.
constexpr api_range k_supported_apis[] = {
    // clang-format off
    {api_key::produce, 0, 9, 9},
    {api_key::fetch, 4, 12, 12},
    {api_key::list_offsets, 1, 7, 6},
    {api_key::metadata, 0, 12, 9},
    {api_key::offset_commit, 0, 8, 8},
    {api_key::offset_fetch, 0, 8, 6},
    {api_key::find_coordinator, 0, 4, 3},
    {api_key::join_group, 0, 9, 6},
    {api_key::heartbeat, 0, 4, 4},
    {api_key::leave_group, 0, 5, 4},
    {api_key::sync_group, 0, 5, 4},
    {api_key::describe_groups, 0, 5, 5},
    {api_key::list_groups, 0, 4, 3},
    {api_key::api_versions, 0, 3, 3},
    {api_key::create_topics, 0, 4, 5},
    {api_key::delete_topics, 0, 3, 4},
    {api_key::delete_records, 0, 2, 2},
    {api_key::init_producer_id, 0, 4, 2},
    {api_key::offset_for_leader_epoch, 0, 4, 4},
    {api_key::add_partitions_to_txn, 0, 3, 3},
    {api_key::add_offsets_to_txn, 0, 3, 3},
    {api_key::end_txn, 0, 3, 3},
    {api_key::write_txn_markers, 0, 1, 1},
    {api_key::txn_offset_commit, 0, 3, 3},
    {api_key::describe_configs, 0, 3, 4},
    {api_key::describe_log_dirs, 0, 4, 2},
    {api_key::create_partitions, 0, 3, 2},
    {api_key::alter_configs, 0, 1, 2},
    {api_key::delete_groups, 0, 2, 2},
    {api_key::elect_leaders, 0, 1, 2},
    {api_key::incremental_alter_configs, 0, 1, 1},
    {api_key::alter_partition_reassignments, 0, 0, 0},
    {api_key::list_partition_reassignments, 0, 0, 0},
    {api_key::offset_delete, 0, 0, k_never_flexible},
    {api_key::describe_cluster, 0, 1, 0},
    {api_key::describe_producers, 0, 0, 0},
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
  offset_metadata_too_large = 12,
  coordinator_load_in_progress = 14,
  coordinator_not_available = 15,
  not_coordinator = 16,
  invalid_topic_exception = 17,
  not_enough_replicas = 19,
  not_enough_replicas_after_append = 20,
  invalid_required_acks = 21,
  illegal_generation = 22,
  inconsistent_group_protocol = 23,
  invalid_group_id = 24,
  unknown_member_id = 25,
  invalid_session_timeout = 26,
  rebalance_in_progress = 27,
  invalid_commit_offset_size = 28,
  unsupported_version = 35,
  topic_already_exists = 36,
  invalid_partitions = 37,
  invalid_replication_factor = 38,
  invalid_replica_assignment = 39,
  invalid_config = 40,
  invalid_request = 42,
  policy_violation = 44,
  no_reassignment_in_progress = 85,
  out_of_order_sequence_number = 45,
  duplicate_sequence_number = 46,
  invalid_producer_epoch = 47,
  invalid_txn_state = 48,
  invalid_producer_id_mapping = 49,
  invalid_transaction_timeout = 50,
  concurrent_transactions = 51,
  transaction_coordinator_fenced = 52,
  operation_not_attempted = 55,
  unstable_offset_commit = 88,
  producer_fenced = 90,
  unknown_producer_id = 59,
  transactional_id_authorization_failed = 53,
  kafka_storage_error = 56,
  non_empty_group = 68,
  group_id_not_found = 69,
  fetch_session_id_not_found = 70,
  invalid_fetch_session_epoch = 71,
  fenced_leader_epoch = 74,
  unsupported_compression_type = 76,
  unknown_leader_epoch = 75,
  member_id_required = 79,
  group_max_size_reached = 81,
  fenced_instance_id = 82,
  group_subscribed_to_topic = 86,
  invalid_record = 87,
  unsupported_endpoint_type = 114,
  unknown_server_error = -1,
};

constexpr int32_t k_frame_header_bytes = 4;

}  // namespace rill::kafka
