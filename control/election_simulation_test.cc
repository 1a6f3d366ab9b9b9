// Deterministic simulation of leader election and ISR changes, with no
// processes: a seeded scheduler drives appends, follower fetches, ISR
// shrink/expand requests that the network delays or loses, broker deaths
// and restarts, and preferred elections through the real control logic.
// After every step it checks: at most one leader per partition and epoch,
// epochs only grow, a (clean) leader is always a live ISR member, and no
// acknowledged offset is ever lost by an election. A failure names its seed.
#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <random>
#include <set>

#include "control/election.h"

namespace rill::control {
namespace {

constexpr int k_brokers = 3;
constexpr int k_partitions = 4;
constexpr int k_steps = 300;
const char* k_topic = "sim";

struct pending_isr_change {
  int partition;
  int32_t leader;
  int32_t leader_epoch;
  int32_t partition_epoch;
  std::vector<int32_t> isr;
  std::vector<int32_t> additions;  // members the leader counts as in sync meanwhile
};

class simulation {
 public:
  explicit simulation(uint64_t seed) : rng_(seed) {
    for (int b = 1; b <= k_brokers; ++b) s_.brokers[b] = {b, "h", 9000 + b, {}, true};
    topic_info t{k_topic, {}, {}, {}};
    for (int p = 0; p < k_partitions; ++p) {
      partition_info info;
      info.index = p;
      for (int r = 0; r < k_brokers; ++r) info.replicas.push_back(1 + (p + r) % k_brokers);
      info.leader = info.replicas[0];
      info.isr = info.replicas;
      t.partitions.push_back(info);
    }
    s_.topics[k_topic] = t;
    for (int p = 0; p < k_partitions; ++p) {
      for (int b = 1; b <= k_brokers; ++b) leo_[{p, b}] = 0;
      epoch_leader_[{p, 0}] = s_.topics[k_topic].partitions[p].leader;
    }
  }

  // Returns an empty string, or the first broken invariant.
  std::string run() {
    for (int step = 0; step < k_steps; ++step) {
      act();
      std::string broken = check();
      if (!broken.empty()) return "step " + std::to_string(step) + ": " + broken;
    }
    return "";
  }

 private:
  partition_info& part(int p) { return s_.topics[k_topic].partitions[static_cast<size_t>(p)]; }
  int pick(int n) { return static_cast<int>(rng_() % static_cast<uint64_t>(n)); }

  void act() {
    int p = pick(k_partitions);
    partition_info& info = part(p);
    switch (pick(9)) {
      case 0:
      case 1:  // append at the leader
        if (info.leader >= 0) leo_[{p, info.leader}]++;
        break;
      case 2:
      case 3:
        fetch(p, 1 + pick(k_brokers));
        break;
      case 4:
        propose_isr_change(p);
        break;
      case 5:
        deliver_or_drop();
        break;
      case 6:
        if (pick(3) == 0) (void)fence_broker(s_, 1 + pick(k_brokers));
        break;
      case 7:
        if (pick(2) == 0) (void)unfence_broker(s_, 1 + pick(k_brokers));
        break;
      case 8:
        if (pick(4) == 0) (void)elect_preferred_leaders(s_);
        break;
    }
    advance_high_watermarks();
  }

  void fetch(int p, int32_t follower) {
    partition_info& info = part(p);
    if (info.leader < 0 || follower == info.leader || !broker_alive(s_, follower) ||
        !broker_alive(s_, info.leader))
      return;
    int64_t& mine = leo_[{p, follower}];
    int64_t theirs = leo_[{p, info.leader}];
    if (mine > theirs) {
      mine = theirs;  // diverged under an old leader: truncate to the new leader's log
    } else {
      mine = std::min(theirs, mine + 1 + pick(3));
    }
  }

  // The leader shrinks the ISR by a lagging follower or grows it by one
  // that reached the high watermark; the request may be delayed or lost.
  void propose_isr_change(int p) {
    partition_info& info = part(p);
    if (info.leader < 0) return;
    int64_t leader_leo = leo_[{p, info.leader}];
    for (int32_t r : info.replicas) {
      bool in = std::find(info.isr.begin(), info.isr.end(), r) != info.isr.end();
      if (in && r != info.leader && leo_[{p, r}] < leader_leo && pick(2) == 0) {
        std::vector<int32_t> isr;
        for (int32_t x : info.isr)
          if (x != r) isr.push_back(x);
        pending_.push_back({p, info.leader, info.leader_epoch, info.partition_epoch, isr, {}});
        return;
      }
      if (!in && broker_alive(s_, r) && leo_[{p, r}] >= hw_[p]) {
        std::vector<int32_t> isr = info.isr;
        isr.push_back(r);
        pending_.push_back({p, info.leader, info.leader_epoch, info.partition_epoch, isr, {r}});
        return;
      }
    }
  }

  void deliver_or_drop() {
    if (pending_.empty()) return;
    size_t i = static_cast<size_t>(pick(static_cast<int>(pending_.size())));
    pending_isr_change c = pending_[i];
    pending_.erase(pending_.begin() + static_cast<std::ptrdiff_t>(i));
    if (pick(4) == 0) return;  // lost
    (void)change_isr(s_, k_topic, c.partition, c.leader, c.leader_epoch, c.partition_epoch, c.isr);
  }

  // The leader's high watermark: the lowest log end in the accepted ISR plus
  // the members it proposed to add (Kafka's "maximal ISR"), never down.
  void advance_high_watermarks() {
    for (int p = 0; p < k_partitions; ++p) {
      partition_info& info = part(p);
      if (info.leader < 0 || !broker_alive(s_, info.leader)) continue;
      std::set<int32_t> members(info.isr.begin(), info.isr.end());
      for (const pending_isr_change& c : pending_) {
        if (c.partition == p) members.insert(c.additions.begin(), c.additions.end());
      }
      int64_t hw = INT64_MAX;
      for (int32_t m : members) hw = std::min(hw, leo_[{p, m}]);
      hw_[p] = std::max(hw_[p], hw);
      acked_[p] = std::max(acked_[p], hw_[p]);
    }
  }

  std::string check() {
    for (int p = 0; p < k_partitions; ++p) {
      partition_info& info = part(p);
      if (info.leader_epoch < last_epoch_[p]) return "leader epoch went backwards";
      last_epoch_[p] = info.leader_epoch;
      auto [it, fresh] = epoch_leader_.emplace(std::make_pair(p, info.leader_epoch), info.leader);
      if (!fresh && it->second != info.leader) return "two leaders in one epoch";
      if (info.leader < 0) continue;
      if (!broker_alive(s_, info.leader)) return "a dead broker leads";
      if (std::find(info.isr.begin(), info.isr.end(), info.leader) == info.isr.end())
        return "leader outside the ISR";
      if (leo_[{p, info.leader}] < acked_[p]) {
        return "acknowledged offset " + std::to_string(acked_[p]) + " lost: leader " +
               std::to_string(info.leader) + " ends at " + std::to_string(leo_[{p, info.leader}]);
      }
      // A new leader's high watermark starts where the acknowledgements are.
      hw_[p] = std::max(hw_[p], acked_[p]);
    }
    return "";
  }

  std::mt19937_64 rng_;
  cluster_snapshot s_;
  std::map<std::pair<int, int32_t>, int64_t> leo_;
  std::map<std::pair<int, int32_t>, int32_t> epoch_leader_;
  std::deque<pending_isr_change> pending_;
  int64_t hw_[k_partitions] = {};
  int64_t acked_[k_partitions] = {};
  int32_t last_epoch_[k_partitions] = {};
};

TEST(election_simulation, invariants_hold_for_thousands_of_seeds) {
  for (uint64_t seed = 1; seed <= 3000; ++seed) {
    std::string broken = simulation(seed).run();
    ASSERT_TRUE(broken.empty()) << "seed " << seed << ": " << broken;
  }
}

TEST(election, clean_election_picks_the_first_live_isr_member) {
  cluster_snapshot s;
  for (int b = 1; b <= 3; ++b) s.brokers[b] = {b, "h", 1, {}, true};
  s.topics["t"] = {"t", {}, {}, {{0, 1, 5, 5, {1, 2, 3}, {1, 3}}}};
  auto changes = fence_broker(s, 1);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].new_leader, 3);  // 2 is not in the ISR
  EXPECT_EQ(s.topics["t"].partitions[0].leader_epoch, 6);
  EXPECT_EQ(s.topics["t"].partitions[0].isr, (std::vector<int32_t>{3}));
}

TEST(election, last_isr_member_dying_takes_the_partition_offline_until_it_returns) {
  cluster_snapshot s;
  for (int b = 1; b <= 2; ++b) s.brokers[b] = {b, "h", 1, {}, true};
  s.topics["t"] = {"t", {}, {}, {{0, 1, 0, 0, {1, 2}, {1}}}};
  (void)fence_broker(s, 1);
  EXPECT_EQ(s.topics["t"].partitions[0].leader, -1);
  EXPECT_EQ(s.topics["t"].partitions[0].isr, (std::vector<int32_t>{1}));
  (void)unfence_broker(s, 1);
  EXPECT_EQ(s.topics["t"].partitions[0].leader, 1);
}

TEST(election, unclean_election_only_when_the_topic_allows_it) {
  cluster_snapshot s;
  for (int b = 1; b <= 2; ++b) s.brokers[b] = {b, "h", 1, {}, true};
  s.topics["t"] = {
      "t", {}, {{"unclean.leader.election.enable", "true"}}, {{0, 1, 0, 0, {1, 2}, {1}}}};
  auto changes = fence_broker(s, 1);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_TRUE(changes[0].unclean);
  EXPECT_EQ(s.topics["t"].partitions[0].leader, 2);
  EXPECT_EQ(s.topics["t"].partitions[0].isr, (std::vector<int32_t>{2}));
}

TEST(election, stale_isr_changes_are_refused) {
  cluster_snapshot s;
  for (int b = 1; b <= 3; ++b) s.brokers[b] = {b, "h", 1, {}, true};
  s.topics["t"] = {"t", {}, {}, {{0, 1, 3, 7, {1, 2, 3}, {1, 2, 3}}}};
  EXPECT_EQ(change_isr(s, "t", 0, 1, 2, 7, {1, 2}), isr_change_errc::fenced_leader_epoch);
  EXPECT_EQ(change_isr(s, "t", 0, 1, 3, 6, {1, 2}), isr_change_errc::stale_partition_epoch);
  EXPECT_EQ(change_isr(s, "t", 0, 2, 3, 7, {1, 2}), isr_change_errc::not_leader);
  EXPECT_EQ(change_isr(s, "t", 0, 1, 3, 7, {2, 3}), isr_change_errc::invalid_isr);
  EXPECT_EQ(change_isr(s, "t", 0, 1, 3, 7, {1, 2}), isr_change_errc::ok);
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
  replica_state_change c = set_replica_offline(s, 1, "t", 0);
  const partition_info& p = s.topics["t"].partitions[0];
  ASSERT_TRUE(c.known && c.changed);
  ASSERT_EQ(c.leaders.size(), 1u);
  EXPECT_EQ(p.leader, 2);
  EXPECT_EQ(p.leader_epoch, 5);
  EXPECT_EQ(p.isr, (std::vector<int32_t>{2, 3}));
  EXPECT_EQ(p.offline_replicas, (std::vector<int32_t>{1}));
  // While offline it is neither preferred leader nor an ISR candidate.
  EXPECT_TRUE(elect_preferred_leaders(s).empty());
  EXPECT_EQ(change_isr(s, "t", 0, 2, 5, p.partition_epoch, {2, 3, 1}),
            isr_change_errc::invalid_isr);
  // Reported twice: nothing changes.
  EXPECT_FALSE(set_replica_offline(s, 1, "t", 0).changed);
}

TEST(election, an_offline_replica_rejoins_as_a_follower_once_healthy) {
  cluster_snapshot s;
  for (int b = 1; b <= 3; ++b) s.brokers[b] = {b, "h", 1, {}, true};
  s.topics["t"] = {"t", {}, {}, {{0, 1, 0, 0, {1, 2, 3}, {1, 2, 3}}}};
  (void)set_replica_offline(s, 1, "t", 0);
  replica_state_change c = set_replica_online(s, 1, "t", 0);
  const partition_info& p = s.topics["t"].partitions[0];
  EXPECT_TRUE(c.changed);
  EXPECT_TRUE(c.leaders.empty());
  EXPECT_EQ(p.leader, 2);  // it must catch up and rejoin the ISR first
  EXPECT_TRUE(p.offline_replicas.empty());
  EXPECT_EQ(change_isr(s, "t", 0, 2, p.leader_epoch, p.partition_epoch, {2, 3, 1}),
            isr_change_errc::ok);
}

TEST(election, the_last_isr_member_going_offline_takes_the_partition_offline) {
  cluster_snapshot s;
  for (int b = 1; b <= 2; ++b) s.brokers[b] = {b, "h", 1, {}, true};
  s.topics["t"] = {"t", {}, {}, {{0, 1, 0, 0, {1, 2}, {1}}}};
  (void)set_replica_offline(s, 1, "t", 0);
  EXPECT_EQ(s.topics["t"].partitions[0].leader, -1);
  EXPECT_EQ(s.topics["t"].partitions[0].isr, (std::vector<int32_t>{1}));
  // The broker restarts (registers anew): its replica is a candidate again.
  auto changes = clear_offline_replicas(s, 1);
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
  (void)fence_broker(s, 2);
  cluster_snapshot back;
  ASSERT_TRUE(parse_snapshot(serialize_snapshot(s), &back));
  EXPECT_TRUE(back.brokers[1].alive);
  EXPECT_FALSE(back.brokers[2].alive) << "brokers must not list a fenced broker as alive";
  EXPECT_EQ(back.brokers[2].rack, "rack-b");
}

}  // namespace
}  // namespace rill::control
