#include <gtest/gtest.h>

#include "dataplane/kafka/messages/admin.h"
#include "dataplane/kafka/messages/codec_testing.h"

namespace rill::kafka {
namespace {

TEST(admin_codec, described_admin_apis_round_trip_at_every_version) {
  round_trips_at_every_version(delete_topics_request{.names = {"a", "b"}, .timeout_ms = 1000},
                               api_key::delete_topics);
  round_trips_at_every_version(delete_topics_response{.topics = {{"a", 0}, {"b", 3}}},
                               api_key::delete_topics);
  round_trips_at_every_version(
      init_producer_id_request{.transactional_id = std::nullopt, .transaction_timeout_ms = 60000},
      api_key::init_producer_id);
  round_trips_at_every_version(init_producer_id_response{.producer_id = 77, .producer_epoch = 0},
                               api_key::init_producer_id);
  alter_configs_request alter;
  alter.resources.push_back({2, "t", {{"retention.ms", "1000"}, {"segment.bytes", std::nullopt}}});
  alter.validate_only = true;
  round_trips_at_every_version(alter, api_key::alter_configs);
  round_trips_at_every_version(
      alter_configs_response{.responses = {{0, std::nullopt, 2, "t"}, {40, "bad", 2, "u"}}},
      api_key::alter_configs);
  elect_leaders_request elect{.election_type = 0, .partitions = std::nullopt, .timeout_ms = 30000};
  round_trips_at_every_version(elect, api_key::elect_leaders);
  elect.partitions.emplace().push_back({"t", {0, 2}});
  round_trips_at_every_version(elect, api_key::elect_leaders);
  round_trips_at_every_version(
      elect_leaders_response{.results = {{"t", {{0, 0, std::nullopt}, {2, 3, "unknown"}}}}},
      api_key::elect_leaders);
}

TEST(admin_codec, the_described_layouts_are_the_guides) {
  // ElectLeaders v1: election type, a null topic list (every partition), timeout.
  EXPECT_EQ(encode_at(elect_leaders_request{.timeout_ms = 30000}, api_key::elect_leaders, 1),
            (std::vector<uint8_t>{0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0x75, 0x30}));
  // DeleteTopics v1 response: throttle, [name error].
  EXPECT_EQ(encode_at(delete_topics_response{.topics = {{"t", 3}}}, api_key::delete_topics, 1),
            (std::vector<uint8_t>{0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 't', 0, 3}));
  // InitProducerId v2 (flexible): throttle, error, id, epoch, no tags.
  EXPECT_EQ(encode_at(init_producer_id_response{.producer_id = 5, .producer_epoch = 0},
                      api_key::init_producer_id, 2),
            (std::vector<uint8_t>{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0}));
}

}  // namespace
}  // namespace rill::kafka
