#include "dataplane/kafka/error_mapping.h"

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
  }
  return error_code::unknown_server_error;
}

}  // namespace rill::kafka
