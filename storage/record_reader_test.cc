#include "storage/record_reader.h"

#include <gtest/gtest.h>

#include <string>

#include "storage/batch_builder.h"
#include "storage/record_batch.h"

namespace rill::storage {
namespace {

std::string text(std::span<const uint8_t> s) {
  return {s.begin(), s.end()};
}

TEST(record_reader, reads_keys_values_offsets_and_tombstones) {
  auto b = build_batch({.base_offset = 40, .base_timestamp_ms = 1000},
                       {{.key = "k1", .value = "v1"},
                        {.key = "k2", .value = std::nullopt, .timestamp_delta_ms = 7},
                        {.key = std::nullopt, .value = std::string(300, 'x')}});
  record_reader r(b);
  auto a = r.next();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->offset, 40);
  EXPECT_EQ(text(*a->key), "k1");
  EXPECT_EQ(text(*a->value), "v1");
  auto t = r.next();
  ASSERT_TRUE(t);
  EXPECT_EQ(t->offset, 41);
  EXPECT_EQ(t->timestamp_ms, 1007);
  EXPECT_FALSE(t->value.has_value());
  auto big = r.next();
  ASSERT_TRUE(big);
  EXPECT_FALSE(big->key.has_value());
  EXPECT_EQ(big->value->size(), 300u);
  EXPECT_FALSE(r.next());
  EXPECT_TRUE(r.valid());
}

TEST(record_reader, a_record_cut_short_stops_the_walk_and_says_so) {
  auto b = build_batch({}, {{.key = "key", .value = "value"}});
  b.resize(b.size() - 3);
  record_reader r(b);
  EXPECT_FALSE(r.next());
  EXPECT_FALSE(r.valid());
}

TEST(record_reader, a_compressed_batch_is_not_read) {
  auto b = build_batch({}, {{.key = "key", .value = "value"}});
  b[batch_format::attributes + 1] |= 1;  // gzip
  record_reader r(b);
  EXPECT_TRUE(r.compressed());
  EXPECT_FALSE(r.next());
}

}  // namespace
}  // namespace rill::storage
