#include "dataplane/group/group_records.h"

#include <gtest/gtest.h>

#include "base/wire.h"

namespace rill::group {
namespace {

TEST(group_records, keys_and_values_round_trip) {
  record_key offset = offset_key{"g", "orders", 7};
  record_key group = group_key{"g"};
  EXPECT_EQ(decode_key(encode_key(offset)), offset);
  EXPECT_EQ(decode_key(encode_key(group)), group);
  offset_value v{.offset = 42, .leader_epoch = 3, .metadata = "m", .commit_timestamp_ms = 1234};
  EXPECT_EQ(decode_offset_value(encode_offset_value(v)), v);
  group_value gv{.protocol_type = "consumer",
                 .generation = 5,
                 .protocol = "range",
                 .leader = "a-1",
                 .state_timestamp_ms = 99,
                 .members = {{.member_id = "a-1",
                              .group_instance_id = "i1",
                              .client_id = "a",
                              .client_host = "/127.0.0.1",
                              .rebalance_timeout_ms = 300000,
                              .session_timeout_ms = 10000,
                              .subscription = std::string("\0\1", 2),
                              .assignment = "xyz"}}};
  EXPECT_EQ(decode_group_value(encode_group_value(gv)), gv);
}

TEST(group_records, the_key_layout_is_kafkas) {
  // version 1, group "g", topic "t", partition 2: Kafka's tools read this.
  std::vector<uint8_t> want = {0, 1, 0, 1, 'g', 0, 1, 't', 0, 0, 0, 2};
  EXPECT_EQ(encode_key(offset_key{"g", "t", 2}), want);
}

TEST(group_records, older_offset_values_are_read) {
  wire_writer v1;  // version 1: offset, metadata, commit and expire timestamps
  v1.i16(1);
  v1.i64(17);
  v1.string("meta", false);
  v1.i64(1000);
  v1.i64(2000);
  auto decoded = decode_offset_value(v1.bytes());
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->offset, 17);
  EXPECT_EQ(decoded->leader_epoch, -1);
  EXPECT_EQ(decoded->commit_timestamp_ms, 1000);
}

TEST(group_records, unknown_versions_and_truncation_are_refused) {
  std::vector<uint8_t> key = encode_key(offset_key{"g", "t", 2});
  key[1] = 9;
  EXPECT_FALSE(decode_key(key));
  std::vector<uint8_t> value = encode_offset_value({.offset = 1});
  value.resize(value.size() - 2);
  EXPECT_FALSE(decode_offset_value(value));
  EXPECT_FALSE(decode_group_value(std::vector<uint8_t>{0, 3, 0}));
}

}  // namespace
}  // namespace rill::group
