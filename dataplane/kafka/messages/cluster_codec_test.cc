#include <gtest/gtest.h>

#include "dataplane/kafka/messages/cluster.h"
#include "dataplane/kafka/messages/codec_testing.h"
#include "dataplane/kafka/messages/configs.h"
#include "dataplane/kafka/messages/reassignment.h"

namespace rill::kafka {
namespace {

TEST(cluster_codec, offset_for_leader_epoch_round_trips_at_every_version) {
  round_trips_at_every_version(
      offset_for_leader_epoch_request{
          .replica_id = -1,
          .topics = {{"t", {{.partition = 1, .current_leader_epoch = 4, .leader_epoch = 3}}}}},
      api_key::offset_for_leader_epoch);
  round_trips_at_every_version(
      offset_for_leader_epoch_response{
          .topics = {{"t", {{.error = 0, .partition = 1, .leader_epoch = 3, .end_offset = 977}}}}},
      api_key::offset_for_leader_epoch);
}

TEST(cluster_codec, offset_for_leader_epoch_v0_is_the_guides_layout) {
  // topics [topic partitions [partition leader_epoch]]
  std::vector<uint8_t> want = {0, 0, 0, 1, 0, 1, 't', 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 7};
  EXPECT_EQ(
      encode_at(
          offset_for_leader_epoch_request{.topics = {{"t", {{.partition = 2, .leader_epoch = 7}}}}},
          api_key::offset_for_leader_epoch, 0),
      want);
}

TEST(cluster_codec, create_partitions_round_trips_at_every_version) {
  round_trips_at_every_version(
      create_partitions_request{
          .topics = {{"t", 6, std::vector<std::vector<int32_t>>{{1, 2}, {2, 3}}},
                     {"u", 3, std::nullopt}},
          .timeout_ms = 30000,
          .validate_only = true},
      api_key::create_partitions);
  round_trips_at_every_version(
      create_partitions_response{.results = {{"t", 0, std::nullopt}, {"u", 37, "not more"}}},
      api_key::create_partitions);
}

TEST(cluster_codec, delete_records_round_trips_at_every_version) {
  round_trips_at_every_version(
      delete_records_request{.topics = {{"t", {{0, 42}, {3, -1}}}}, .timeout_ms = 5000},
      api_key::delete_records);
  round_trips_at_every_version(
      delete_records_response{.throttle_time_ms = 1, .topics = {{"t", {{0, 42, 0}, {3, -1, 1}}}}},
      api_key::delete_records);
}

TEST(cluster_codec, delete_records_v2_is_compact) {
  // topics: compact array (n+1) [name: compact string, partitions: compact
  // array [partition i32, offset i64, tags], tags], timeout i32, tags
  std::vector<uint8_t> want = {2, 2, 't', 2, 0, 0, 0, 1, 0,    0,    0, 0,
                               0, 0, 0,   9, 0, 0, 0, 0, 0x13, 0x88, 0};
  EXPECT_EQ(encode_at(delete_records_request{.topics = {{"t", {{1, 9}}}}, .timeout_ms = 5000},
                      api_key::delete_records, 2),
            want);
}

TEST(cluster_codec, describe_log_dirs_round_trips_at_every_version) {
  round_trips_at_every_version(
      describe_log_dirs_request{.topics = std::vector<log_dir_query_topic>{{"t", {0, 2}}}},
      api_key::describe_log_dirs);
  round_trips_at_every_version(describe_log_dirs_request{.topics = std::nullopt},
                               api_key::describe_log_dirs);
  round_trips_at_every_version(
      describe_log_dirs_response{
          .results = {{.log_dir = "/data",
                       .topics = {{"t", {{0, 4096, 0, false}, {2, 0, 0, false}}}},
                       .total_bytes = 1 << 30,
                       .usable_bytes = 1 << 20}}},
      api_key::describe_log_dirs);
}

TEST(cluster_codec, incremental_alter_configs_round_trips_at_every_version) {
  round_trips_at_every_version(
      incremental_alter_configs_request{
          .resources = {{2,
                         "t",
                         {{"retention.ms", 0, "1000"}, {"segment.bytes", 1, std::nullopt}}}},
          .validate_only = true},
      api_key::incremental_alter_configs);
  round_trips_at_every_version(
      incremental_alter_configs_response{
          .responses = {{0, std::nullopt, 2, "t"}, {40, "bad value", 2, "u"}}},
      api_key::incremental_alter_configs);
}

TEST(cluster_codec, describe_producers_round_trips) {
  round_trips_at_every_version(describe_producers_request{.topics = {{"t", {0, 1}}}},
                               api_key::describe_producers);
  round_trips_at_every_version(
      describe_producers_response{.topics = {{"t",
                                              {{0,
                                                0,
                                                std::nullopt,
                                                {{.producer_id = 4,
                                                  .producer_epoch = 0,
                                                  .last_sequence = 9,
                                                  .last_timestamp = 1000}}},
                                               {1, 6, "not the leader", {}}}}}},
      api_key::describe_producers);
}

TEST(cluster_codec, reassignment_apis_round_trip) {
  round_trips_at_every_version(
      alter_partition_reassignments_request{
          .timeout_ms = 5000,
          .topics = {{"t", {{0, std::vector<int32_t>{2, 3, 4}}, {1, std::nullopt}}}}},
      api_key::alter_partition_reassignments);
  round_trips_at_every_version(
      alter_partition_reassignments_response{
          .topics = {{"t", {{0, 0, std::nullopt}, {1, 85, "no reassignment in progress"}}}}},
      api_key::alter_partition_reassignments);
  round_trips_at_every_version(
      list_partition_reassignments_request{
          .topics = std::vector<list_reassignments_topic>{{"t", {0, 1}}}},
      api_key::list_partition_reassignments);
  round_trips_at_every_version(list_partition_reassignments_request{},
                               api_key::list_partition_reassignments);
  round_trips_at_every_version(
      list_partition_reassignments_response{.topics = {{"t", {{0, {2, 3, 4, 1}, {4}, {1}}}}}},
      api_key::list_partition_reassignments);
}

TEST(cluster_codec, describe_cluster_round_trips_at_every_version) {
  round_trips_at_every_version(
      describe_cluster_request{.include_cluster_authorized_operations = true},
      api_key::describe_cluster);
  round_trips_at_every_version(
      describe_cluster_response{
          .cluster_id = "rill",
          .controller_id = 1,
          .brokers = {{1, "127.0.0.1", 9092, std::nullopt}, {2, "h", 9093, "r1"}}},
      api_key::describe_cluster);
}

}  // namespace
}  // namespace rill::kafka
