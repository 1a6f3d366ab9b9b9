#include "dataplane/partition/producer_state.h"

#include <gtest/gtest.h>

namespace rill::partition {
namespace {

TEST(producer_state, sequences_are_checked_and_reported_once_appended) {
  producer_state s;
  int64_t original = -1;
  batch_identity first{7, 0, 0, 4, 1000};
  ASSERT_EQ(s.check(first, &original), sequence_check::accept);
  EXPECT_TRUE(s.report().empty()) << "nothing of producer 7 is in the log yet";
  s.appended(first, 100);
  batch_identity second{7, 0, 5, 9, 2000};
  ASSERT_EQ(s.check(second, &original), sequence_check::accept);
  s.appended(second, 105);
  EXPECT_EQ(s.check(first, &original), sequence_check::duplicate);
  EXPECT_EQ(original, 100);
  EXPECT_EQ(s.check({7, 0, 20, 24}, &original), sequence_check::out_of_order);
  EXPECT_EQ(s.check({7, -1, 10, 14}, &original), sequence_check::fenced_epoch);
  std::vector<producer_report> r = s.report();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].producer_id, 7);
  EXPECT_EQ(r[0].epoch, 0);
  EXPECT_EQ(r[0].last_sequence, 9);
  EXPECT_EQ(r[0].last_timestamp, 2000);
}

TEST(producer_state, a_failed_append_is_not_reported_and_followers_observe) {
  producer_state s;
  int64_t original = -1;
  batch_identity b{3, 1, 0, 0, 50};
  ASSERT_EQ(s.check(b, &original), sequence_check::accept);
  s.append_failed(b);
  EXPECT_TRUE(s.report().empty());
  s.observe({9, 2, 0, 2, 70}, 10);  // a follower, or recovery at start-up
  s.observe({4, 0, 0, 0, 60}, 13);
  std::vector<producer_report> r = s.report();
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].producer_id, 4);  // by id
  EXPECT_EQ(r[1].producer_id, 9);
  EXPECT_EQ(r[1].last_sequence, 2);
  EXPECT_EQ(r[1].last_timestamp, 70);
}

}  // namespace
}  // namespace rill::partition
