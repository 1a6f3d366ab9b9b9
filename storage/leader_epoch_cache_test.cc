#include "storage/leader_epoch_cache.h"

#include <gtest/gtest.h>

namespace rill::storage {
namespace {

TEST(leader_epoch_cache, end_offset_of_an_epoch_is_the_next_epochs_start) {
  leader_epoch_cache c;
  EXPECT_TRUE(c.assign(1, 0));
  EXPECT_FALSE(c.assign(1, 10));
  EXPECT_TRUE(c.assign(3, 20));
  EXPECT_EQ(c.end_offset_for(1, 50).end_offset, 20);
  EXPECT_EQ(c.end_offset_for(2, 50).epoch, 1);  // largest epoch <= 2
  EXPECT_EQ(c.end_offset_for(3, 50).end_offset, 50);
  EXPECT_EQ(c.end_offset_for(0, 50).epoch, -1);
}

TEST(leader_epoch_cache, truncation_drops_later_epochs) {
  leader_epoch_cache c;
  (void)c.assign(1, 0);
  (void)c.assign(2, 10);
  (void)c.assign(4, 30);
  c.truncate_from_end(30);
  EXPECT_EQ(c.latest_epoch(), 2);
  c.truncate_from_start(15);
  ASSERT_EQ(c.entries().size(), 1u);
  EXPECT_EQ(c.entries()[0].start_offset, 15);
}

TEST(leader_epoch_cache, checkpoint_text_round_trips_and_rejects_garbage) {
  std::vector<leader_epoch_cache::entry> in = {{0, 0}, {5, 100}};
  std::vector<leader_epoch_cache::entry> out;
  ASSERT_TRUE(leader_epoch_cache::parse(leader_epoch_cache::serialize(in), &out));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].epoch, 5);
  EXPECT_FALSE(leader_epoch_cache::parse("0\n2\n5 100\n1 0\n", &out));
  EXPECT_FALSE(leader_epoch_cache::parse("7\n0\n", &out));
}

}  // namespace
}  // namespace rill::storage
