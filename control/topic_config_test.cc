#include "control/topic_config.h"

#include <gtest/gtest.h>

namespace rill::control {
namespace {

TEST(topic_config, cleanup_policy_takes_kafkas_words_in_any_order) {
  auto compact = parse_cleanup_policy("compact");
  ASSERT_TRUE(compact);
  EXPECT_TRUE(compact->compact);
  EXPECT_FALSE(compact->remove);
  for (const char* both : {"compact,delete", "delete,compact", "delete, compact"}) {
    auto p = parse_cleanup_policy(both);
    ASSERT_TRUE(p) << both;
    EXPECT_TRUE(p->compact && p->remove) << both;
  }
  EXPECT_FALSE(parse_cleanup_policy(""));
  EXPECT_FALSE(parse_cleanup_policy("compacted"));
  EXPECT_FALSE(parse_cleanup_policy("delete,"));
}

TEST(topic_config, compaction_settings_are_validated) {
  EXPECT_FALSE(validate_topic_config("cleanup.policy", "compact,delete"));
  EXPECT_TRUE(validate_topic_config("cleanup.policy", "archive"));
  EXPECT_FALSE(validate_topic_config("min.cleanable.dirty.ratio", "0.01"));
  EXPECT_TRUE(validate_topic_config("min.cleanable.dirty.ratio", "1.5"));
  EXPECT_TRUE(validate_topic_config("min.cleanable.dirty.ratio", "half"));
  EXPECT_FALSE(validate_topic_config("delete.retention.ms", "86400"));
  EXPECT_TRUE(validate_topic_config("delete.retention.ms", "-5"));
  EXPECT_FALSE(validate_topic_config("segment.bytes", "10000")) << "Kafka's minimum is 14";
  EXPECT_TRUE(validate_topic_config("segment.bytes", "13"));
  EXPECT_FALSE(validate_topic_config("compression.type", "lz4"));
  EXPECT_TRUE(validate_topic_config("compression.type", "brotli"));
  EXPECT_FALSE(validate_topic_config("message.format.version", "0.10.0.0"));
  EXPECT_FALSE(validate_topic_config("message.format.version", "3.0-IV1"));
  EXPECT_TRUE(validate_topic_config("message.format.version", "v2; rm -rf"));
}

}  // namespace
}  // namespace rill::control
