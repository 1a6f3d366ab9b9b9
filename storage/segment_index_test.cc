#include "storage/segment_index.h"

#include <gtest/gtest.h>

namespace rill::storage {
namespace {

TEST(offset_index, looks_up_the_last_entry_at_or_before_an_offset) {
  offset_index idx(100);
  uint32_t pos = 0;
  for (uint32_t off = 0; off < 50; off += 5) {
    idx.on_batch(off, pos, 60);
    pos += 60;
  }
  // An entry every second batch (100-byte interval, 60-byte batches).
  EXPECT_EQ(idx.lookup(0), 0u);
  EXPECT_EQ(idx.lookup(12), 120u);
  EXPECT_EQ(idx.lookup(49), 480u);
}

TEST(offset_index, a_damaged_file_is_rejected) {
  offset_index idx(1);
  idx.on_batch(0, 0, 10);
  idx.on_batch(3, 10, 10);
  auto bytes = idx.serialize();
  offset_index back;
  EXPECT_TRUE(back.parse(bytes, 20));
  EXPECT_FALSE(back.parse(bytes, 5));  // points past the log
  bytes.pop_back();
  EXPECT_FALSE(back.parse(bytes, 20));  // not a whole number of entries
}

TEST(time_index, finds_where_to_scan_for_a_timestamp) {
  time_index idx;
  idx.on_batch(100, 0);
  idx.on_batch(90, 1);  // not an increase: no entry
  idx.on_batch(200, 5);
  idx.on_batch(300, 9);
  EXPECT_EQ(idx.entries().size(), 3u);
  EXPECT_EQ(idx.lookup(50), 0u);
  EXPECT_EQ(idx.lookup(250), 5u);
  EXPECT_EQ(idx.max_timestamp(), 300);
  time_index back;
  EXPECT_TRUE(back.parse(idx.serialize()));
  EXPECT_EQ(back.entries().size(), 3u);
}

}  // namespace
}  // namespace rill::storage
