#include "dataplane/kafka/handlers/error_mapping.h"

namespace rill::kafka {

error_code to_kafka(partition::partition_errc e) {
  using partition::partition_errc;
  switch (e) {
    case partition_errc::ok:
      return error_code::none;
    case partition_errc::unknown_partition:
      return error_code::unknown_topic_or_partition;
    case partition_errc::not_leader:
      return error_code::not_leader_or_follower;
    case partition_errc::offset_out_of_range:
      return error_code::offset_out_of_range;
    case partition_errc::corrupt_batch:
      return error_code::corrupt_message;
    case partition_errc::batch_too_large:
      return error_code::message_too_large;
    case partition_errc::not_enough_replicas:
      return error_code::not_enough_replicas;
    case partition_errc::not_enough_replicas_after_append:
      return error_code::not_enough_replicas_after_append;
    case partition_errc::request_timed_out:
      return error_code::request_timed_out;
    case partition_errc::storage_error:
      return error_code::kafka_storage_error;
    case partition_errc::out_of_order_sequence:
      return error_code::out_of_order_sequence_number;
    case partition_errc::fenced_producer_epoch:
      return error_code::invalid_producer_epoch;
    case partition_errc::fenced_leader_epoch:
      return error_code::fenced_leader_epoch;
    case partition_errc::unknown_leader_epoch:
      return error_code::unknown_leader_epoch;
    case partition_errc::invalid_request:
      return error_code::invalid_request;
    case partition_errc::invalid_record:
      return error_code::invalid_record;
    case partition_errc::policy_violation:
      return error_code::policy_violation;
  }
  return error_code::unknown_server_error;
}

error_code to_kafka(control::topic_errc e) {
  using control::topic_errc;
  switch (e) {
    case topic_errc::ok:
      return error_code::none;
    case topic_errc::already_exists:
      return error_code::topic_already_exists;
    case topic_errc::unknown_topic:
      return error_code::unknown_topic_or_partition;
    case topic_errc::invalid_name:
      return error_code::invalid_topic_exception;
    case topic_errc::invalid_partitions:
      return error_code::invalid_partitions;
    case topic_errc::invalid_replication_factor:
      return error_code::invalid_replication_factor;
    case topic_errc::invalid_config:
      return error_code::invalid_config;
    case topic_errc::not_enough_brokers:
      return error_code::invalid_replication_factor;
    case topic_errc::storage_error:
      return error_code::kafka_storage_error;
    case topic_errc::controller_unavailable:
      return error_code::request_timed_out;
    case topic_errc::invalid_replica_assignment:
      return error_code::invalid_replica_assignment;
  }
  return error_code::unknown_server_error;
}

error_code to_kafka(group::group_errc e) {
  using group::group_errc;
  switch (e) {
    case group_errc::ok:
      return error_code::none;
    case group_errc::not_coordinator:
      return error_code::not_coordinator;
    case group_errc::coordinator_load_in_progress:
      return error_code::coordinator_load_in_progress;
    case group_errc::coordinator_not_available:
      return error_code::coordinator_not_available;
    case group_errc::invalid_group_id:
      return error_code::invalid_group_id;
    case group_errc::unknown_member_id:
      return error_code::unknown_member_id;
    case group_errc::illegal_generation:
      return error_code::illegal_generation;
    case group_errc::rebalance_in_progress:
      return error_code::rebalance_in_progress;
    case group_errc::inconsistent_group_protocol:
      return error_code::inconsistent_group_protocol;
    case group_errc::member_id_required:
      return error_code::member_id_required;
    case group_errc::fenced_instance_id:
      return error_code::fenced_instance_id;
    case group_errc::invalid_session_timeout:
      return error_code::invalid_session_timeout;
    case group_errc::group_max_size_reached:
      return error_code::group_max_size_reached;
    case group_errc::non_empty_group:
      return error_code::non_empty_group;
    case group_errc::group_id_not_found:
      return error_code::group_id_not_found;
    case group_errc::group_subscribed_to_topic:
      return error_code::group_subscribed_to_topic;
    case group_errc::offset_metadata_too_large:
      return error_code::offset_metadata_too_large;
    case group_errc::invalid_commit_offset_size:
      return error_code::invalid_commit_offset_size;
    case group_errc::unknown_topic_or_partition:
      return error_code::unknown_topic_or_partition;
    case group_errc::unstable_offset_commit:
      return error_code::unstable_offset_commit;
    case group_errc::producer_fenced:
      return error_code::producer_fenced;
    case group_errc::unknown_server_error:
      return error_code::unknown_server_error;
  }
  return error_code::unknown_server_error;
}

}  // namespace rill::kafka
