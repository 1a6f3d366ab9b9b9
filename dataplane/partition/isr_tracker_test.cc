#include "dataplane/partition/isr_tracker.h"

#include <gtest/gtest.h>

namespace rill::replication {
namespace {

// Broker 1 leads, followers get 1000 ms of lag, from high watermark 0 at time 0.
isr_tracker_options leader_1(std::vector<int32_t> replicas, std::vector<int32_t> isr,
                             int32_t min_insync) {
  return {.self = ids::broker{1},
          .replicas = std::move(replicas),
          .isr = std::move(isr),
          .min_insync = min_insync,
          .lag_max_ms = 1000,
          .high_watermark = ids::offset{0},
          .now_ms = 0};
}

TEST(isr_tracker, high_watermark_is_the_lowest_log_end_in_the_isr) {
  isr_tracker t(leader_1({1, 2, 3}, {1, 2, 3}, 1));
  EXPECT_FALSE(t.on_leader_append(ids::offset{10}));  // followers have not fetched
  EXPECT_FALSE(t.on_follower_fetch(ids::broker{2}, ids::offset{10}, ids::offset{10}, 1));
  EXPECT_TRUE(t.on_follower_fetch(ids::broker{3}, ids::offset{7}, ids::offset{10}, 1));
  EXPECT_EQ(t.high_watermark(), 7);
  EXPECT_TRUE(t.on_follower_fetch(ids::broker{3}, ids::offset{10}, ids::offset{10}, 2));
  EXPECT_EQ(t.high_watermark(), 10);
}

TEST(isr_tracker, a_lagging_follower_is_proposed_for_removal_and_counts_until_accepted) {
  isr_tracker t(leader_1({1, 2, 3}, {1, 2, 3}, 1));
  t.on_follower_fetch(ids::broker{2}, ids::offset{0}, ids::offset{0}, 0);
  t.on_follower_fetch(ids::broker{3}, ids::offset{0}, ids::offset{0}, 0);
  t.on_leader_append(ids::offset{5});
  t.on_follower_fetch(ids::broker{2}, ids::offset{5}, ids::offset{5}, 500);
  EXPECT_EQ(t.next_change(ids::offset{5}, 900), std::nullopt);
  auto change = t.next_change(ids::offset{5}, 1200);
  ASSERT_TRUE(change.has_value());
  EXPECT_EQ(change->isr, (std::vector<int32_t>{1, 2}));
  EXPECT_EQ(t.high_watermark(), 0);  // 3 still counts: not accepted yet
  t.change_done(true, {1, 2}, ids::offset{5}, 1300);
  EXPECT_EQ(t.high_watermark(), 5);
}

TEST(isr_tracker, a_caught_up_follower_rejoins_and_counts_while_pending) {
  isr_tracker t(leader_1({1, 2}, {1}, 1));
  t.on_leader_append(ids::offset{4});
  EXPECT_EQ(t.high_watermark(), 4);
  t.on_follower_fetch(ids::broker{2}, ids::offset{4}, ids::offset{4}, 10);
  auto change = t.next_change(ids::offset{4}, 10);
  ASSERT_TRUE(change.has_value());
  EXPECT_TRUE(change->expands);
  t.on_leader_append(ids::offset{8});
  EXPECT_EQ(t.high_watermark(), 4);  // the pending member holds it back
  t.on_follower_fetch(ids::broker{2}, ids::offset{8}, ids::offset{8}, 20);
  EXPECT_EQ(t.high_watermark(), 8);
}

TEST(isr_tracker, high_watermark_stays_while_the_isr_is_below_min_insync) {
  isr_tracker t(leader_1({1, 2, 3}, {1}, 2));
  EXPECT_FALSE(t.on_leader_append(ids::offset{10}));
  EXPECT_EQ(t.high_watermark(), 0);
}

}  // namespace
}  // namespace rill::replication
