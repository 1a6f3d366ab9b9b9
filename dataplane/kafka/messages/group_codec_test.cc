// Every group message at every version it is served in: what is written
// reads back to the same bytes, and fields a version lacks stay at their
// defaults. One layout is checked byte by byte against the protocol guide.
#include <gtest/gtest.h>

#include "dataplane/kafka/messages/codec_testing.h"
#include "dataplane/kafka/messages/group.h"
#include "dataplane/kafka/protocol.h"

namespace rill::kafka {
namespace {

TEST(group_codec, requests_round_trip_at_every_version) {
  round_trips_at_every_version(
      find_coordinator_request{.key = "g", .key_type = 0, .coordinator_keys = {"g", "h"}},
      api_key::find_coordinator);
  round_trips_at_every_version(join_group_request{.group_id = "g",
                                                  .session_timeout_ms = 10000,
                                                  .rebalance_timeout_ms = 30000,
                                                  .member_id = "m",
                                                  .group_instance_id = "i",
                                                  .protocol_type = "consumer",
                                                  .protocols = {{"range", std::string("\0\1x", 3)}},
                                                  .reason = "r"},
                               api_key::join_group);
  round_trips_at_every_version(sync_group_request{.group_id = "g",
                                                  .generation_id = 3,
                                                  .member_id = "m",
                                                  .group_instance_id = "i",
                                                  .protocol_type = "consumer",
                                                  .protocol_name = "range",
                                                  .assignments = {{"m", "A"}}},
                               api_key::sync_group);
  round_trips_at_every_version(
      heartbeat_request{.group_id = "g", .generation_id = 1, .member_id = "m"}, api_key::heartbeat);
  round_trips_at_every_version(
      leave_group_request{.group_id = "g", .member_id = "m", .members = {{"m", "i", "bye"}}},
      api_key::leave_group);
  round_trips_at_every_version(
      offset_commit_request{
          .group_id = "g",
          .generation_id = 2,
          .member_id = "m",
          .topics = {{"t", {{.index = 1, .committed_offset = 9, .committed_metadata = "md"}}}}},
      api_key::offset_commit);
  round_trips_at_every_version(
      offset_fetch_request{.group_id = "g",
                           .topics = std::vector<offset_fetch_topic>{{"t", {0, 1}}},
                           .groups = {{"g", std::nullopt}, {"h", {{{"t", {2}}}}}},
                           .require_stable = true},
      api_key::offset_fetch);
  round_trips_at_every_version(list_groups_request{.states_filter = {"Stable"}},
                               api_key::list_groups);
  round_trips_at_every_version(describe_groups_request{.groups = {"g", "h"}},
                               api_key::describe_groups);
  round_trips_at_every_version(delete_groups_request{.groups = {"g"}}, api_key::delete_groups);
  round_trips_at_every_version(offset_delete_request{.group_id = "g", .topics = {{"t", {0, 3}}}},
                               api_key::offset_delete);
}

TEST(group_codec, responses_round_trip_at_every_version) {
  find_coordinator_response fc;
  fc.single = {.node_id = 2, .host = "h", .port = 9093};
  fc.batched = {{.key = "g", .node_id = 2, .host = "h", .port = 9093}};
  round_trips_at_every_version(fc, api_key::find_coordinator);
  round_trips_at_every_version(
      join_group_response{.generation_id = 4,
                          .protocol_type = "consumer",
                          .protocol_name = "range",
                          .leader = "a",
                          .member_id = "a",
                          .members = {{"a", "i", "meta"}, {"b", std::nullopt, ""}}},
      api_key::join_group);
  round_trips_at_every_version(
      sync_group_response{.protocol_type = "consumer", .protocol_name = "range", .assignment = "A"},
      api_key::sync_group);
  round_trips_at_every_version(heartbeat_response{.error = 27}, api_key::heartbeat);
  round_trips_at_every_version(leave_group_response{.members = {{"m", "i", std::nullopt, 25}}},
                               api_key::leave_group);
  round_trips_at_every_version(offset_commit_response{.topics = {{"t", {{1, 0}, {2, 12}}}}},
                               api_key::offset_commit);
  offset_fetch_response of;
  of.groups = {{"g", {{"t", {{.index = 0, .committed_offset = 5, .metadata = "m"}}}}, 0}};
  round_trips_at_every_version(of, api_key::offset_fetch);
  round_trips_at_every_version(list_groups_response{.groups = {{"g", "consumer", "Stable"}}},
                               api_key::list_groups);
  described_group dg{.group_id = "g",
                     .group_state = "Stable",
                     .protocol_type = "consumer",
                     .protocol_data = "range",
                     .members = {{"a", "i", "c", "/127.0.0.1", "meta", "asg"}}};
  round_trips_at_every_version(describe_groups_response{.groups = {dg}}, api_key::describe_groups);
  round_trips_at_every_version(delete_groups_response{.results = {{"g", 69}}},
                               api_key::delete_groups);
  round_trips_at_every_version(offset_delete_response{.topics = {{"t", {{0, 86}}}}},
                               api_key::offset_delete);
}

TEST(group_codec, heartbeat_v0_is_the_guides_layout) {
  // Heartbeat Request (Version: 0) => group_id generation_id member_id
  std::vector<uint8_t> want = {0, 1, 'g', 0, 0, 0, 3, 0, 1, 'm'};
  EXPECT_EQ(encode_at(heartbeat_request{.group_id = "g", .generation_id = 3, .member_id = "m"},
                      api_key::heartbeat, 0),
            want);
  // v4 is flexible: compact strings and a tagged-field section.
  std::vector<uint8_t> flexible = {2, 'g', 0, 0, 0, 3, 2, 'm', 0, 0};
  EXPECT_EQ(encode_at(heartbeat_request{.group_id = "g", .generation_id = 3, .member_id = "m"},
                      api_key::heartbeat, 4),
            flexible);
}

TEST(group_codec, a_truncated_body_fails_to_decode) {
  std::vector<uint8_t> bytes = encode_at(
      join_group_request{
          .group_id = "g", .protocol_type = "consumer", .protocols = {{"range", "x"}}},
      api_key::join_group, 5);
  bytes.resize(bytes.size() - 2);
  request_header h{.key = static_cast<int16_t>(api_key::join_group), .version = 5};
  wire_reader in(bytes);
  join_group_request r;
  EXPECT_FALSE(decode_message(in, h, &r));
}

}  // namespace
}  // namespace rill::kafka
