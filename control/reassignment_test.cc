#include "control/reassignment.h"

#include <gtest/gtest.h>

namespace rill::control {
namespace {

using ints = std::vector<int32_t>;

// Four live brokers; topic t, one partition on 1,2,3 led by 1, full ISR.
cluster_snapshot four_brokers() {
  cluster_snapshot s;
  s.cluster_id = "c";
  for (int32_t b = 1; b <= 4; ++b) s.brokers[b] = {b, "h", 9000 + b, {}, true};
  partition_info p;
  p.index = 0;
  p.leader = 1;
  p.replicas = {1, 2, 3};
  p.isr = {1, 2, 3};
  s.topics["t"] = {"t", {}, {}, {p}};
  return s;
}

const partition_info& part(const cluster_snapshot& s) {
  return s.topics.at("t").partitions[0];
}

TEST(reassignment, a_move_waits_for_the_new_replica_then_moves_leadership) {
  cluster_snapshot s = four_brokers();
  std::vector<leader_change> changes;
  ASSERT_EQ(reassign_partition(s, "t", 0, ints{2, 3, 4}, &changes), reassign_errc::ok);
  EXPECT_EQ(part(s).replicas, (ints{2, 3, 4, 1}));
  EXPECT_EQ(part(s).adding_replicas, (ints{4}));
  EXPECT_EQ(part(s).removing_replicas, (ints{1}));
  EXPECT_EQ(part(s).leader, 1) << "the old leader serves until the new replica caught up";
  EXPECT_TRUE(changes.empty());
  // The leader adds the caught-up replica to the ISR; the move completes.
  const partition_info& p = part(s);
  ASSERT_EQ(change_isr(s, {.topic = "t",
                           .partition = ids::partition{0},
                           .leader = ids::broker{1},
                           .leader_epoch = ids::leader_epoch{p.leader_epoch},
                           .partition_epoch = ids::partition_epoch{p.partition_epoch},
                           .new_isr = {1, 2, 3, 4}}),
            isr_change_errc::ok);
  ASSERT_TRUE(complete_reassignment(s, "t", 0, &changes));
  EXPECT_EQ(part(s).replicas, (ints{2, 3, 4}));
  EXPECT_EQ(part(s).isr, (ints{2, 3, 4}));
  EXPECT_FALSE(part(s).reassigning());
  EXPECT_EQ(part(s).leader, 2);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].old_leader, 1);
  EXPECT_EQ(changes[0].new_leader, 2);
  EXPECT_FALSE(changes[0].unclean);
}

TEST(reassignment, shrinking_or_reordering_completes_at_once) {
  cluster_snapshot s = four_brokers();
  std::vector<leader_change> changes;
  ASSERT_EQ(reassign_partition(s, "t", 0, ints{3}, &changes), reassign_errc::ok);
  EXPECT_EQ(part(s).replicas, (ints{3}));
  EXPECT_EQ(part(s).isr, (ints{3}));
  EXPECT_EQ(part(s).leader, 3);
  EXPECT_FALSE(part(s).reassigning());
  changes.clear();
  ASSERT_EQ(reassign_partition(s, "t", 0, ints{3, 1, 2}, &changes), reassign_errc::ok);
  EXPECT_EQ(part(s).replicas, (ints{3, 1, 2})) << "raising the replication factor waits";
  EXPECT_EQ(part(s).adding_replicas, (ints{1, 2}));
  EXPECT_EQ(part(s).isr, (ints{3}));
}

TEST(reassignment, cancel_restores_the_original_replicas) {
  cluster_snapshot s = four_brokers();
  std::vector<leader_change> changes;
  ASSERT_EQ(reassign_partition(s, "t", 0, std::nullopt, &changes), reassign_errc::no_reassignment);
  ASSERT_EQ(reassign_partition(s, "t", 0, ints{4, 2, 3}, &changes), reassign_errc::ok);
  int32_t epoch = part(s).partition_epoch;
  ASSERT_EQ(reassign_partition(s, "t", 0, std::nullopt, &changes), reassign_errc::ok);
  // The original set, in the order the move left them (as Kafka: replicas
  // without the adding ones).
  EXPECT_EQ(part(s).replicas, (ints{2, 3, 1}));
  EXPECT_EQ(part(s).isr, (ints{1, 2, 3}));
  EXPECT_FALSE(part(s).reassigning());
  EXPECT_GT(part(s).partition_epoch, epoch);
  EXPECT_EQ(part(s).leader, 1);
}

TEST(reassignment, bad_targets_are_refused_and_change_nothing) {
  cluster_snapshot s = four_brokers();
  std::vector<leader_change> changes;
  EXPECT_EQ(reassign_partition(s, "t", 0, ints{}, &changes), reassign_errc::invalid_assignment);
  EXPECT_EQ(reassign_partition(s, "t", 0, ints{2, 2}, &changes), reassign_errc::invalid_assignment);
  EXPECT_EQ(reassign_partition(s, "t", 0, ints{2, 9}, &changes), reassign_errc::invalid_assignment);
  EXPECT_EQ(reassign_partition(s, "t", 5, ints{2}, &changes), reassign_errc::unknown_partition);
  EXPECT_EQ(reassign_partition(s, "u", 0, ints{2}, &changes), reassign_errc::unknown_partition);
  EXPECT_EQ(part(s).replicas, (ints{1, 2, 3}));
  EXPECT_EQ(part(s).partition_epoch, 0);
}

TEST(reassignment, an_ongoing_move_survives_the_snapshot_text_form) {
  cluster_snapshot s = four_brokers();
  std::vector<leader_change> changes;
  ASSERT_EQ(reassign_partition(s, "t", 0, ints{2, 3, 4}, &changes), reassign_errc::ok);
  cluster_snapshot back;
  ASSERT_TRUE(parse_snapshot(serialize_snapshot(s), &back));
  const partition_info& p = back.topics["t"].partitions[0];
  EXPECT_EQ(p.replicas, (ints{2, 3, 4, 1}));
  EXPECT_EQ(p.adding_replicas, (ints{4}));
  EXPECT_EQ(p.removing_replicas, (ints{1}));
}

}  // namespace
}  // namespace rill::control
