// The core APIs (Produce, Fetch, ListOffsets, Metadata, ApiVersions,
// CreateTopics, DescribeConfigs) at every version they are served in: what
// is written reads back to the same bytes. A few layouts are checked byte
// by byte against the protocol guide, written here independently of the
// descriptions.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <memory>

#include "dataplane/kafka/messages/admin.h"
#include "dataplane/kafka/messages/api_versions.h"
#include "dataplane/kafka/messages/codec_testing.h"
#include "dataplane/kafka/messages/fetch.h"
#include "dataplane/kafka/messages/list_offsets.h"
#include "dataplane/kafka/messages/metadata.h"
#include "dataplane/kafka/messages/produce.h"

namespace rill::kafka {
namespace {

std::shared_ptr<std::vector<uint8_t>> bytes_of(std::string_view s) {
  return std::make_shared<std::vector<uint8_t>>(s.begin(), s.end());
}

TEST(core_codec, produce_round_trips_at_every_version) {
  produce_request req{.transactional_id = std::nullopt, .acks = -1, .timeout_ms = 1500};
  req.topics.push_back({"t", {{0, bytes_of("batch-bytes")}, {3, nullptr}}});
  round_trips_at_every_version(req, api_key::produce);
  produce_response resp;
  resp.topics.push_back({"t",
                         {{.index = 0, .base_offset = 42, .log_append_time_ms = 7},
                          {.index = 3,
                           .error = error_code::not_leader_or_follower,
                           .record_errors = {{1, "bad"}},
                           .error_message = "moved"}}});
  round_trips_at_every_version(resp, api_key::produce);
}

TEST(core_codec, fetch_request_round_trips_at_every_version) {
  fetch_request req{.replica_id = -1,
                    .max_wait_ms = 500,
                    .min_bytes = 1,
                    .max_bytes = 1 << 20,
                    .isolation_level = 1,
                    .session_id = 77,
                    .session_epoch = 3,
                    .rack_id = "r1"};
  req.topics.push_back({"t",
                        {{.index = 0,
                          .current_leader_epoch = 4,
                          .fetch_offset = 100,
                          .last_fetched_epoch = 3,
                          .log_start_offset = 0,
                          .max_bytes = 4096}}});
  req.forgotten_topics.push_back({"u", {1, 2}});
  round_trips_at_every_version(req, api_key::fetch);
}

// A broker's response (records as log slices) read as a follower reads it
// (records as views) and written again gives the same bytes.
TEST(core_codec, fetch_response_reads_back_as_a_follower_reads_it) {
  auto log = bytes_of(std::string(40000, 'x'));  // large: borrowed, not copied
  auto small = bytes_of("tiny");
  fetch_response resp{.error = error_code::none, .session_id = 9};
  fetch_partition_response with_data{
      .index = 0, .high_watermark = 10, .last_stable_offset = 10, .log_start_offset = 0};
  with_data.records.slices.push_back({log, std::span<const uint8_t>(*log)});
  with_data.records.slices.push_back({small, std::span<const uint8_t>(*small)});
  with_data.records.bytes = log->size() + small->size();
  fetch_partition_response diverged{.index = 1,
                                    .error = error_code::none,
                                    .high_watermark = 5,
                                    .diverging_epoch = 2,
                                    .diverging_end_offset = 4};
  fetch_partition_response moved{.index = 2,
                                 .error = error_code::not_leader_or_follower,
                                 .current_leader_id = 3,
                                 .current_leader_epoch = 8};
  resp.topics.push_back({"t", {with_data, diverged, moved}});
  const api_range* api = find_api(static_cast<int16_t>(api_key::fetch));
  for (int16_t v = api->min_version; v <= api->max_version; ++v) {
    request_header h{.key = 1, .version = v, .flexible = v >= api->first_flexible};
    response_buffer out;
    encode_message(out, h, resp);
    std::vector<uint8_t> bytes;
    for (const response_segment& s : out.finish())
      bytes.insert(bytes.end(), s.bytes.begin(), s.bytes.end());
    wire_reader in(std::span<const uint8_t>(bytes).subspan(4));  // after the frame size
    fetched_response back;
    ASSERT_TRUE(decode_message(in, h, &back)) << "v" << v;
    EXPECT_EQ(in.remaining(), 0u) << "v" << v;
    ASSERT_EQ(back.topics.size(), 1u);
    ASSERT_EQ(back.topics[0].partitions.size(), 3u);
    const fetched_partition& p0 = back.topics[0].partitions[0];
    EXPECT_EQ(p0.records.size(), log->size() + small->size()) << "v" << v;
    EXPECT_EQ(p0.records.front(), 'x') << "v" << v;
    EXPECT_EQ(p0.records.back(), 'y') << "v" << v;  // the small slice, copied after the large
    const fetched_partition& p1 = back.topics[0].partitions[1];
    const fetched_partition& p2 = back.topics[0].partitions[2];
    if (v >= 12) {
      EXPECT_EQ(p1.diverging_epoch, 2);
      EXPECT_EQ(p1.diverging_end_offset, 4);
      EXPECT_EQ(p2.current_leader_id, 3);
      EXPECT_EQ(p2.current_leader_epoch, 8);
    } else {
      EXPECT_EQ(p1.diverging_epoch, -1) << "tagged fields exist only in flexible versions";
    }
    EXPECT_EQ(back.session_id, v >= 7 ? 9 : 0);
    wire_writer again;
    encode_message(again, h, back);
    EXPECT_EQ(again.bytes(), std::vector<uint8_t>(bytes.begin() + 4, bytes.end())) << "v" << v;
  }
}

TEST(core_codec, list_offsets_metadata_and_api_versions_round_trip_at_every_version) {
  list_offsets_request lo{.replica_id = -1, .isolation_level = 1};
  lo.topics.push_back({"t", {{0, 3, k_earliest_timestamp}, {1, -1, 1700000000000}}});
  round_trips_at_every_version(lo, api_key::list_offsets);
  list_offsets_response lor;
  lor.topics.push_back(
      {"t", {{0, error_code::none, -1, 12, 3}, {1, error_code::fenced_leader_epoch}}});
  round_trips_at_every_version(lor, api_key::list_offsets);

  metadata_request all;
  round_trips_at_every_version(all, api_key::metadata);
  metadata_request some{.topics = std::vector<metadata_request_topic>{{{}, "a"}, {{}, "b"}},
                        .allow_auto_topic_creation = false};
  round_trips_at_every_version(some, api_key::metadata);
  metadata_response md{.cluster_id = "c", .controller_id = 2};
  md.brokers.push_back({1, "127.0.0.1", 9092, std::nullopt});
  md.brokers.push_back({2, "127.0.0.1", 9093, "rack-b"});
  metadata_topic t{.name = "t", .is_internal = false};
  t.id[15] = 7;
  t.partitions.push_back(
      {.index = 0, .leader = 1, .leader_epoch = 4, .replicas = {1, 2}, .isr = {1}, .offline = {2}});
  md.topics.push_back(t);
  md.topics.push_back({.error = error_code::unknown_topic_or_partition, .name = "gone"});
  round_trips_at_every_version(md, api_key::metadata);

  round_trips_at_every_version(api_versions_request{"rill-test", "1.0"}, api_key::api_versions);
  round_trips_at_every_version(supported_api_versions(error_code::none), api_key::api_versions);
}

TEST(core_codec, create_topics_and_describe_configs_round_trip_at_every_version) {
  create_topics_request ct{.timeout_ms = 5000, .validate_only = true};
  ct.topics.push_back({.name = "t",
                       .partitions = -1,
                       .replication_factor = -1,
                       .assignments = {{0, {1, 2}}, {1, {2, 3}}},
                       .configs = {{"cleanup.policy", "compact"}, {"retention.ms", std::nullopt}}});
  round_trips_at_every_version(ct, api_key::create_topics);
  round_trips_at_every_version(
      create_topics_response{.topics = {{"t", error_code::none, std::nullopt},
                                        {"u", error_code::topic_already_exists, "exists"}}},
      api_key::create_topics);
  describe_configs_request dc{.include_synonyms = true, .include_documentation = true};
  dc.resources.push_back({k_resource_topic, "t", std::vector<std::string>{"retention.ms"}});
  dc.resources.push_back({k_resource_broker, "1", std::nullopt});
  round_trips_at_every_version(dc, api_key::describe_configs);
  describe_configs_response dcr;
  dcr.results.push_back({error_code::none,
                         std::nullopt,
                         k_resource_topic,
                         "t",
                         {{.name = "retention.ms",
                           .value = "1000",
                           .source = k_config_source_dynamic_topic,
                           .synonyms = {{"log.retention.ms", "5", k_config_source_static_broker}},
                           .documentation = "how long"}}});
  round_trips_at_every_version(dcr, api_key::describe_configs);
}

// ---- layouts from the protocol guide ----

TEST(core_codec, api_versions_v0_is_error_then_key_min_max_triples) {
  api_versions_response r{.apis = {{0, 0, 9}}};
  EXPECT_EQ(encode_at(r, api_key::api_versions, 0),
            (std::vector<uint8_t>{0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 9}));
  // v3 (flexible): compact array (n+1), a tag section per entry and at the end,
  // throttle before the last one.
  EXPECT_EQ(encode_at(r, api_key::api_versions, 3),
            (std::vector<uint8_t>{0, 0, 2, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0}));
}

TEST(core_codec, fetch_v12_partition_tags_are_diverging_epoch_then_current_leader) {
  fetch_response resp;
  resp.topics.push_back({"t",
                         {{.index = 1,
                           .high_watermark = 5,
                           .last_stable_offset = 5,
                           .log_start_offset = 0,
                           .diverging_epoch = 2,
                           .diverging_end_offset = 4,
                           .current_leader_id = 3,
                           .current_leader_epoch = 8}}});
  // Written from the guide, field by field.
  wire_writer g;
  g.i32(0);      // throttle
  g.i16(0);      // error
  g.i32(0);      // session id
  g.uvarint(2);  // one topic
  g.string("t", true);
  g.uvarint(2);  // one partition
  g.i32(1);
  g.i16(0);
  g.i64(5);
  g.i64(5);
  g.i64(0);
  g.uvarint(1);   // no aborted transactions
  g.i32(-1);      // preferred read replica
  g.uvarint(1);   // empty records
  g.uvarint(2);   // two tagged fields
  g.uvarint(0);   // DivergingEpoch
  g.uvarint(13);  // epoch, end offset, its own empty tags
  g.i32(2);
  g.i64(4);
  g.uvarint(0);
  g.uvarint(1);  // CurrentLeader
  g.uvarint(9);
  g.i32(3);
  g.i32(8);
  g.uvarint(0);
  g.uvarint(0);  // topic tags
  g.uvarint(0);  // response tags
  EXPECT_EQ(encode_at(resp, api_key::fetch, 12), g.bytes());
}

TEST(core_codec, an_unknown_tagged_field_is_skipped_and_a_short_known_one_fails) {
  // Fetch v12 request with a tagged field 0 (ClusterId) Rill does not use.
  fetch_request req{.max_wait_ms = 1};
  std::vector<uint8_t> bytes = encode_at(req, api_key::fetch, 12);
  bytes.back() = 1;  // one tagged field follows
  for (int b : {0, 2, 1, int{'c'}}) bytes.push_back(static_cast<uint8_t>(b));
  request_header h{.key = 1, .version = 12, .flexible = true};
  wire_reader in(bytes);
  fetch_request back;
  EXPECT_TRUE(decode_message(in, h, &back));
  EXPECT_EQ(back.max_wait_ms, 1);

  // A DivergingEpoch whose declared size is larger than its body.
  fetch_response resp;
  resp.topics.push_back({"t", {{.index = 0, .diverging_epoch = 1, .diverging_end_offset = 2}}});
  std::vector<uint8_t> r = encode_at(resp, api_key::fetch, 12);
  const std::array<uint8_t, 2> tag_and_size{0, 13};
  auto size_at = std::search(r.begin(), r.end(), tag_and_size.begin(), tag_and_size.end());
  ASSERT_NE(size_at, r.end());
  *(size_at + 1) = 14;
  r.push_back(0);
  wire_reader rin(r);
  fetched_response rback;
  EXPECT_FALSE(decode_message(rin, h, &rback));
}

}  // namespace
}  // namespace rill::kafka
