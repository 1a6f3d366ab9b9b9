// Deterministic simulation of leader election and ISR changes, with no
// processes: a seeded scheduler drives appends, follower fetches, broker
// deaths and restarts and preferred elections through the real control
// logic (control/election.h), and each leader's ISR and high watermark
// through the real isr_tracker, whose ISR change requests the network
// delays or loses. After every step it checks: at most one leader per
// partition and epoch, epochs only grow, a (clean) leader is always a live
// ISR member, and no offset below a high watermark (what acks=all
// acknowledges) is ever lost by an election. A failure names its seed.
#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <optional>
#include <random>

#include "control/election.h"
#include "dataplane/partition/isr_tracker.h"

namespace rill::replication {
namespace {

using control::broker_alive;
using control::cluster_snapshot;
using control::partition_info;

constexpr int k_brokers = 3;
constexpr int k_partitions = 4;
constexpr int k_steps = 300;
constexpr int64_t k_lag_max_ms = 30;
const char* k_topic = "sim";

struct pending_isr_change {
  int partition;
  int32_t leader;
  int32_t leader_epoch;
  int32_t partition_epoch;
  std::vector<int32_t> isr;
};

// The leader's side of one partition: its tracker, for the epoch it leads.
struct leadership {
  int32_t leader = -1;
  int32_t leader_epoch = -1;
  int32_t partition_epoch = -1;
  std::optional<isr_tracker> tracker;
};

class simulation {
 public:
  explicit simulation(uint64_t seed) : rng_(seed), min_insync_(1 + static_cast<int32_t>(seed % 2)) {
    for (int b = 1; b <= k_brokers; ++b) s_.brokers[b] = {b, "h", 9000 + b, {}, true};
    control::topic_info t{k_topic, {}, {}, {}};
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
      epoch_leader_[{p, 0}] = part(p).leader;
    }
    follow_metadata();
  }

  // Returns an empty string, or the first broken invariant.
  std::string run() {
    for (int step = 0; step < k_steps; ++step) {
      now_ms_ += 1 + pick(5);
      act();
      follow_metadata();
      std::string broken = check();
      if (!broken.empty()) return "step " + std::to_string(step) + ": " + broken;
    }
    return "";
  }

 private:
  partition_info& part(int p) { return s_.topics[k_topic].partitions[static_cast<size_t>(p)]; }
  int pick(int n) { return static_cast<int>(rng_() % static_cast<uint64_t>(n)); }

  // The live leader's tracker of partition p, or null.
  isr_tracker* tracker(int p) {
    leadership& l = leaders_[p];
    if (!l.tracker || !broker_alive(s_, ids::broker{l.leader})) return nullptr;
    return &*l.tracker;
  }

  void act() {
    int p = pick(k_partitions);
    switch (pick(9)) {
      case 0:
      case 1:  // append at the leader
        if (isr_tracker* t = tracker(p)) {
          int64_t& leo = leo_[{p, leaders_[p].leader}];
          t->on_leader_append(ids::offset{++leo});
        }
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
        if (pick(3) == 0) (void)control::fence_broker(s_, ids::broker{1 + pick(k_brokers)});
        break;
      case 7:
        if (pick(2) == 0) (void)control::unfence_broker(s_, ids::broker{1 + pick(k_brokers)});
        break;
      case 8:
        if (pick(4) == 0) (void)control::elect_preferred_leaders(s_);
        break;
    }
  }

  // A follower fetches from where its log ends and gets up to three records.
  void fetch(int p, int32_t follower) {
    isr_tracker* t = tracker(p);
    int32_t leader = leaders_[p].leader;
    if (t == nullptr || follower == leader || !broker_alive(s_, ids::broker{follower})) return;
    int64_t& mine = leo_[{p, follower}];
    int64_t theirs = leo_[{p, leader}];
    if (mine > theirs) mine = theirs;  // diverged under an old leader: truncated first
    t->on_follower_fetch(ids::broker{follower}, ids::offset{mine}, ids::offset{theirs}, now_ms_);
    mine = std::min(theirs, mine + 1 + pick(3));
  }

  // What the tracker asks the controller for; the request may be delayed or lost.
  void propose_isr_change(int p) {
    isr_tracker* t = tracker(p);
    if (t == nullptr) return;
    const leadership& l = leaders_[p];
    if (auto change = t->next_change(ids::offset{leo_[{p, l.leader}]}, now_ms_)) {
      pending_.push_back({p, l.leader, l.leader_epoch, l.partition_epoch, change->isr});
    }
  }

  void deliver_or_drop() {
    if (pending_.empty()) return;
    size_t i = static_cast<size_t>(pick(static_cast<int>(pending_.size())));
    pending_isr_change c = pending_[i];
    pending_.erase(pending_.begin() + static_cast<std::ptrdiff_t>(i));
    bool lost = pick(4) == 0;
    bool accepted = !lost && control::change_isr(
                                 s_, {.topic = k_topic,
                                      .partition = ids::partition{c.partition},
                                      .leader = ids::broker{c.leader},
                                      .leader_epoch = ids::leader_epoch{c.leader_epoch},
                                      .partition_epoch = ids::partition_epoch{c.partition_epoch},
                                      .new_isr = c.isr}) == control::isr_change_errc::ok;
    leadership& l = leaders_[c.partition];
    // The answer (or, when lost, the request's timeout) reaches the leader
    // that asked, if it still leads in that epoch.
    if (l.tracker && l.leader == c.leader && l.leader_epoch == c.leader_epoch) {
      l.tracker->change_done(accepted, part(c.partition).isr,
                             ids::offset{leo_[{c.partition, c.leader}]}, now_ms_);
    }
  }

  // Each broker applies the controller's metadata: a new leader epoch makes
  // a new tracker (its high watermark from its own log, never above what
  // it holds); a new partition epoch updates the ISR the tracker knows.
  void follow_metadata() {
    for (int p = 0; p < k_partitions; ++p) {
      const partition_info& info = part(p);
      leadership& l = leaders_[p];
      if (info.leader != l.leader || info.leader_epoch != l.leader_epoch) {
        l = leadership{info.leader, info.leader_epoch, info.partition_epoch, std::nullopt};
        if (info.leader >= 0) {
          int64_t leo = leo_[{p, info.leader}];
          l.tracker.emplace(
              isr_tracker_options{.self = ids::broker{info.leader},
                                  .replicas = info.replicas,
                                  .isr = info.isr,
                                  .min_insync = min_insync_,
                                  .lag_max_ms = k_lag_max_ms,
                                  .high_watermark = ids::offset{std::min(acked_[p], leo)},
                                  .now_ms = now_ms_});
        }
      } else if (info.partition_epoch != l.partition_epoch) {
        l.partition_epoch = info.partition_epoch;
        if (l.tracker) l.tracker->on_metadata(info.replicas, info.isr, now_ms_);
      }
      if (isr_tracker* t = tracker(p)) acked_[p] = std::max(acked_[p], t->high_watermark());
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
      if (!broker_alive(s_, ids::broker{info.leader})) return "a dead broker leads";
      if (std::find(info.isr.begin(), info.isr.end(), info.leader) == info.isr.end())
        return "leader outside the ISR";
      if (leo_[{p, info.leader}] < acked_[p]) {
        return "acknowledged offset " + std::to_string(acked_[p]) + " lost: leader " +
               std::to_string(info.leader) + " ends at " + std::to_string(leo_[{p, info.leader}]);
      }
    }
    return "";
  }

  std::mt19937_64 rng_;
  int32_t min_insync_;
  int64_t now_ms_ = 0;
  cluster_snapshot s_;
  std::map<std::pair<int, int32_t>, int64_t> leo_;
  std::map<std::pair<int, int32_t>, int32_t> epoch_leader_;
  std::deque<pending_isr_change> pending_;
  leadership leaders_[k_partitions];
  int64_t acked_[k_partitions] = {};
  int32_t last_epoch_[k_partitions] = {};
};

TEST(isr_election_simulation, invariants_hold_for_thousands_of_seeds) {
  for (uint64_t seed = 1; seed <= 3000; ++seed) {
    std::string broken = simulation(seed).run();
    ASSERT_TRUE(broken.empty()) << "seed " << seed << ": " << broken;
  }
}

}  // namespace
}  // namespace rill::replication
