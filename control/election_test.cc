// Leader election and ISR change rules, case by case. The seeded
// simulation that drives them together with the leaders' real ISR tracking
// is dataplane/partition/isr_election_simulation_test.cc.
#include <gtest/gtest.h>

#include "control/election.h"

namespace rill::control {
namespace {

TEST(election, clean_election_picks_the_first_live_isr_member) {
  cluster_snapshot s;
  for (int b = 1; b <= 3; ++b) s.brokers[b] = {b, "h", 1, {}, true};
  s.topics["t"] = {"t", {}, {}, {{0, 1, 5, 5, {1, 2, 3}, {1, 3}}}};
  auto changes = fence_broker(s, ids::broker{1});
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].new_leader, 3);  // 2 is not in the ISR
  EXPECT_EQ(s.topics["t"].partitions[0].leader_epoch, 6);
  EXPECT_EQ(s.topics["t"].partitions[0].isr, (std::vector<int32_t>{3}));
}

TEST(election, last_isr_member_dying_takes_the_partition_offline_until_it_returns) {
  cluster_snapshot s;
  for (int b = 1; b <= 2; ++b) s.brokers[b] = {b, "h", 1, {}, true};
  s.topics["t"] = {"t", {}, {}, {{0, 1, 0, 0, {1, 2}, {1}}}};
  (void)fence_broker(s, ids::broker{1});
  EXPECT_EQ(s.topics["t"].partitions[0].leader, -1);
  EXPECT_EQ(s.topics["t"].partitions[0].isr, (std::vector<int32_t>{1}));
  (void)unfence_broker(s, ids::broker{1});
  EXPECT_EQ(s.topics["t"].partitions[0].leader, 1);
}

TEST(election, unclean_election_only_when_the_topic_allows_it) {
  cluster_snapshot s;
  for (int b = 1; b <= 2; ++b) s.brokers[b] = {b, "h", 1, {}, true};
  s.topics["t"] = {
      "t", {}, {{"unclean.leader.election.enable", "true"}}, {{0, 1, 0, 0, {1, 2}, {1}}}};
  auto changes = fence_broker(s, ids::broker{1});
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_TRUE(changes[0].unclean);
  EXPECT_EQ(s.topics["t"].partitions[0].leader, 2);
  EXPECT_EQ(s.topics["t"].partitions[0].isr, (std::vector<int32_t>{2}));
}

TEST(election, stale_isr_changes_are_refused) {
  cluster_snapshot s;
  for (int b = 1; b <= 3; ++b) s.brokers[b] = {b, "h", 1, {}, true};
  s.topics["t"] = {"t", {}, {}, {{0, 1, 3, 7, {1, 2, 3}, {1, 2, 3}}}};
  EXPECT_EQ(change_isr(s, {.topic = "t",
                           .partition = ids::partition{0},
                           .leader = ids::broker{1},
                           .leader_epoch = ids::leader_epoch{2},
                           .partition_epoch = ids::partition_epoch{7},
                           .new_isr = {1, 2}}),
            isr_change_errc::fenced_leader_epoch);
  EXPECT_EQ(change_isr(s, {.topic = "t",
                           .partition = ids::partition{0},
                           .leader = ids::broker{1},
                           .leader_epoch = ids::leader_epoch{3},
                           .partition_epoch = ids::partition_epoch{6},
                           .new_isr = {1, 2}}),
            isr_change_errc::stale_partition_epoch);
  EXPECT_EQ(change_isr(s, {.topic = "t",
                           .partition = ids::partition{0},
                           .leader = ids::broker{2},
                           .leader_epoch = ids::leader_epoch{3},
                           .partition_epoch = ids::partition_epoch{7},
                           .new_isr = {1, 2}}),
            isr_change_errc::not_leader);
  EXPECT_EQ(change_isr(s, {.topic = "t",
                           .partition = ids::partition{0},
                           .leader = ids::broker{1},
                           .leader_epoch = ids::leader_epoch{3},
                           .partition_epoch = ids::partition_epoch{7},
                           .new_isr = {2, 3}}),
            isr_change_errc::invalid_isr);
  EXPECT_EQ(change_isr(s, {.topic = "t",
                           .partition = ids::partition{0},
                           .leader = ids::broker{1},
                           .leader_epoch = ids::leader_epoch{3},
                           .partition_epoch = ids::partition_epoch{7},
                           .new_isr = {1, 2}}),
            isr_change_errc::ok);
  EXPECT_EQ(s.topics["t"].partitions[0].partition_epoch, 8);
}

TEST(election, preferred_leader_returns_when_back_in_the_isr) {
  cluster_snapshot s;
  for (int b = 1; b <= 3; ++b) s.brokers[b] = {b, "h", 1, {}, true};
  s.topics["t"] = {"t", {}, {}, {{0, 2, 4, 4, {1, 2, 3}, {2, 3}}}};
  EXPECT_TRUE(elect_preferred_leaders(s).empty());  // 1 is not in the ISR
  s.topics["t"].partitions[0].isr = {2, 3, 1};
  auto changes = elect_preferred_leaders(s);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(s.topics["t"].partitions[0].leader, 1);
  EXPECT_EQ(s.topics["t"].partitions[0].leader_epoch, 5);
}

TEST(election, a_leader_whose_log_went_offline_hands_over_to_the_next_isr_member) {
  cluster_snapshot s;
  for (int b = 1; b <= 3; ++b) s.brokers[b] = {b, "h", 1, {}, true};
  s.topics["t"] = {"t", {}, {}, {{0, 1, 4, 9, {1, 2, 3}, {1, 2, 3}}}};
  replica_state_change c = set_replica_offline(s, ids::broker{1}, "t", ids::partition{0});
  const partition_info& p = s.topics["t"].partitions[0];
  ASSERT_TRUE(c.known && c.changed);
  ASSERT_EQ(c.leaders.size(), 1u);
  EXPECT_EQ(p.leader, 2);
  EXPECT_EQ(p.leader_epoch, 5);
  EXPECT_EQ(p.isr, (std::vector<int32_t>{2, 3}));
  EXPECT_EQ(p.offline_replicas, (std::vector<int32_t>{1}));
  // While offline it is neither preferred leader nor an ISR candidate.
  EXPECT_TRUE(elect_preferred_leaders(s).empty());
  EXPECT_EQ(change_isr(s, {.topic = "t",
                           .partition = ids::partition{0},
                           .leader = ids::broker{2},
                           .leader_epoch = ids::leader_epoch{5},
                           .partition_epoch = ids::partition_epoch{p.partition_epoch},
                           .new_isr = {2, 3, 1}}),
            isr_change_errc::invalid_isr);
  // Reported twice: nothing changes.
  EXPECT_FALSE(set_replica_offline(s, ids::broker{1}, "t", ids::partition{0}).changed);
}

TEST(election, an_offline_replica_rejoins_as_a_follower_once_healthy) {
  cluster_snapshot s;
  for (int b = 1; b <= 3; ++b) s.brokers[b] = {b, "h", 1, {}, true};
  s.topics["t"] = {"t", {}, {}, {{0, 1, 0, 0, {1, 2, 3}, {1, 2, 3}}}};
  (void)set_replica_offline(s, ids::broker{1}, "t", ids::partition{0});
  replica_state_change c = set_replica_online(s, ids::broker{1}, "t", ids::partition{0});
  const partition_info& p = s.topics["t"].partitions[0];
  EXPECT_TRUE(c.changed);
  EXPECT_TRUE(c.leaders.empty());
  EXPECT_EQ(p.leader, 2);  // it must catch up and rejoin the ISR first
  EXPECT_TRUE(p.offline_replicas.empty());
  EXPECT_EQ(change_isr(s, {.topic = "t",
                           .partition = ids::partition{0},
                           .leader = ids::broker{2},
                           .leader_epoch = ids::leader_epoch{p.leader_epoch},
                           .partition_epoch = ids::partition_epoch{p.partition_epoch},
                           .new_isr = {2, 3, 1}}),
            isr_change_errc::ok);
}

TEST(election, the_last_isr_member_going_offline_takes_the_partition_offline) {
  cluster_snapshot s;
  for (int b = 1; b <= 2; ++b) s.brokers[b] = {b, "h", 1, {}, true};
  s.topics["t"] = {"t", {}, {}, {{0, 1, 0, 0, {1, 2}, {1}}}};
  (void)set_replica_offline(s, ids::broker{1}, "t", ids::partition{0});
  EXPECT_EQ(s.topics["t"].partitions[0].leader, -1);
  EXPECT_EQ(s.topics["t"].partitions[0].isr, (std::vector<int32_t>{1}));
  // The broker restarts (registers anew): its replica is a candidate again.
  auto changes = clear_offline_replicas(s, ids::broker{1});
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(s.topics["t"].partitions[0].leader, 1);
}

TEST(election, offline_replicas_survive_the_snapshot_text_form) {
  cluster_snapshot s;
  s.cluster_id = "c";
  s.brokers[1] = {1, "h", 1, {}, true};
  s.topics["t"] = {"t", {}, {}, {{0, 2, 3, 4, {1, 2, 3}, {2, 3}, {1}}, {1, 1, 0, 0, {1}, {1}}}};
  cluster_snapshot back;
  ASSERT_TRUE(parse_snapshot(serialize_snapshot(s), &back));
  EXPECT_EQ(back.topics["t"].partitions[0].offline_replicas, (std::vector<int32_t>{1}));
  EXPECT_TRUE(back.topics["t"].partitions[1].offline_replicas.empty());
  EXPECT_EQ(back.topics["t"].partitions[0].isr, (std::vector<int32_t>{2, 3}));
}

TEST(election, a_fenced_broker_stays_fenced_in_the_snapshot_text_form) {
  cluster_snapshot s;
  s.cluster_id = "c";
  s.brokers[1] = {1, "h", 1, {}, true};
  s.brokers[2] = {2, "h", 2, "rack-b", true};
  (void)fence_broker(s, ids::broker{2});
  cluster_snapshot back;
  ASSERT_TRUE(parse_snapshot(serialize_snapshot(s), &back));
  EXPECT_TRUE(back.brokers[1].alive);
  EXPECT_FALSE(back.brokers[2].alive) << "brokers must not list a fenced broker as alive";
  EXPECT_EQ(back.brokers[2].rack, "rack-b");
}

}  // namespace
}  // namespace rill::control
