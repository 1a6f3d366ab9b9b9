// Metadata deltas: applying serialize_delta(before, after) to before gives
// after, for seeded random changes of every kind; malformed deltas and
// deltas out of epoch order are refused.
#include <gtest/gtest.h>

#include <random>

#include "control/metadata_model.h"

namespace rill::control {
namespace {

cluster_snapshot small_cluster() {
  cluster_snapshot s;
  s.epoch = 7;
  s.cluster_id = "c1";
  for (int32_t b = 1; b <= 3; ++b) s.brokers[b] = broker_info{b, "127.0.0.1", 9090 + b, {}, true};
  for (const char* name : {"a", "b"}) {
    topic_info t{name, random_topic_id(), {{"retention.ms", "1000"}}, {}};
    for (int32_t p = 0; p < 4; ++p) {
      partition_info info;
      info.index = p;
      info.leader = 1 + p % 3;
      info.replicas = {1 + p % 3, 1 + (p + 1) % 3};
      info.isr = info.replicas;
      t.partitions.push_back(info);
    }
    s.topics[name] = t;
  }
  return s;
}

// One random change of the kinds the controller makes.
void mutate(cluster_snapshot& s, std::mt19937& rng) {
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  auto topic_at = [&](size_t i) {
    auto it = s.topics.begin();
    std::advance(it, static_cast<std::ptrdiff_t>(i));
    return it;
  };
  switch (pick(9)) {
    case 0: {  // a broker fenced or back
      auto it = s.brokers.find(static_cast<int32_t>(1 + pick(3)));
      if (it != s.brokers.end()) it->second.alive = !it->second.alive;
      break;
    }
    case 1: {  // a new broker, with a rack
      auto id = static_cast<int32_t>(10 + pick(5));
      s.brokers[id] = broker_info{id, "10.0.0." + std::to_string(id), 9092, "rack-x", true};
      break;
    }
    case 2: {  // a new topic
      std::string name = "t" + std::to_string(rng() % 1000);
      topic_info t{name, random_topic_id(), {}, {}};
      if (pick(2) == 0) t.configs["cleanup.policy"] = "compact";
      t.partitions.resize(1 + pick(3));
      for (size_t p = 0; p < t.partitions.size(); ++p) {
        t.partitions[p].index = static_cast<int32_t>(p);
        t.partitions[p].replicas = {1};
      }
      s.topics[name] = t;
      break;
    }
    case 3:  // a topic deleted
      if (!s.topics.empty()) s.topics.erase(topic_at(pick(s.topics.size())));
      break;
    case 4: {  // partitions added
      if (s.topics.empty()) break;
      topic_info& t = topic_at(pick(s.topics.size()))->second;
      partition_info p;
      p.index = static_cast<int32_t>(t.partitions.size());
      p.replicas = {2, 3};
      t.partitions.push_back(p);
      break;
    }
    case 5: {  // configs changed or removed
      if (s.topics.empty()) break;
      topic_info& t = topic_at(pick(s.topics.size()))->second;
      if (pick(2) == 0) {
        t.configs.clear();
      } else {
        t.configs["segment.bytes"] = std::to_string(rng() % 100000);
      }
      break;
    }
    case 6:
      s.next_producer_id += k_producer_id_block;
      break;
    case 7: {  // a reassignment starts or ends
      if (s.topics.empty()) break;
      topic_info& t = topic_at(pick(s.topics.size()))->second;
      if (t.partitions.empty()) break;
      partition_info& p = t.partitions[pick(t.partitions.size())];
      if (p.reassigning()) {
        p.adding_replicas.clear();
        p.removing_replicas.clear();
      } else {
        p.adding_replicas = {3};
        p.removing_replicas = {1};
      }
      break;
    }
    default: {  // an election or an ISR change
      if (s.topics.empty()) break;
      topic_info& t = topic_at(pick(s.topics.size()))->second;
      if (t.partitions.empty()) break;
      partition_info& p = t.partitions[pick(t.partitions.size())];
      p.leader = pick(4) == 0 ? -1 : static_cast<int32_t>(1 + pick(3));
      ++p.leader_epoch;
      ++p.partition_epoch;
      p.isr = pick(2) == 0 ? std::vector<int32_t>{} : p.replicas;
      p.offline_replicas = pick(3) == 0 ? std::vector<int32_t>{2} : std::vector<int32_t>{};
      break;
    }
  }
}

TEST(metadata_delta, applying_a_delta_gives_the_next_snapshot_for_random_changes) {
  for (uint32_t seed = 1; seed <= 200; ++seed) {
    std::mt19937 rng(seed);
    cluster_snapshot before = small_cluster();
    cluster_snapshot replayed = before;
    for (int step = 0; step < 30; ++step) {
      cluster_snapshot after = before;
      after.epoch = before.epoch + 1;
      for (uint32_t n = 1 + rng() % 3; n > 0; --n) mutate(after, rng);
      std::string delta = serialize_delta(before, after);
      ASSERT_EQ(delta_epoch(delta), after.epoch);
      ASSERT_TRUE(apply_delta(delta, &replayed)) << "seed " << seed << "\n" << delta;
      ASSERT_EQ(serialize_snapshot(replayed), serialize_snapshot(after))
          << "seed " << seed << " step " << step << "\n"
          << delta;
      before = after;
    }
  }
}

TEST(metadata_delta, a_delta_is_as_large_as_the_change_not_the_cluster) {
  cluster_snapshot before = small_cluster();
  topic_info wide{"wide", random_topic_id(), {}, {}};
  for (int32_t p = 0; p < 10000; ++p) {
    partition_info info;
    info.index = p;
    info.leader = 1;
    info.replicas = {1, 2, 3};
    info.isr = {1, 2, 3};
    wide.partitions.push_back(info);
  }
  before.topics["wide"] = wide;
  cluster_snapshot after = before;
  after.epoch = before.epoch + 1;
  after.topics["wide"].partitions[4321].isr = {1, 2};
  ++after.topics["wide"].partitions[4321].partition_epoch;
  std::string delta = serialize_delta(before, after);
  EXPECT_LT(delta.size(), 120u) << delta;
  EXPECT_GT(serialize_snapshot(after).size(), 300000u);
  EXPECT_NE(delta.find("partition wide 4321 1 0 1 1,2,3 1,2"), std::string::npos) << delta;
}

TEST(metadata_delta, deltas_out_of_order_or_malformed_are_refused) {
  cluster_snapshot before = small_cluster();
  cluster_snapshot after = before;
  after.epoch = before.epoch + 1;
  after.topics.erase("a");
  std::string delta = serialize_delta(before, after);
  cluster_snapshot ahead = before;
  ahead.epoch = before.epoch + 1;  // already at the delta's epoch
  EXPECT_FALSE(apply_delta(delta, &ahead));
  cluster_snapshot copy = before;
  EXPECT_FALSE(apply_delta("rill-metadata 1\nepoch 8\n", &copy));  // a snapshot's header
  copy = before;
  EXPECT_FALSE(apply_delta("rill-metadata-delta 1\nepoch 8\ntopic-removed nosuch\n", &copy));
  copy = before;
  EXPECT_FALSE(apply_delta("rill-metadata-delta 1\nepoch 8\npartition a 99 1 0 0 1 1\n", &copy));
  copy = before;
  EXPECT_FALSE(apply_delta("rill-metadata-delta 1\nepoch 8\nbogus line\n", &copy));
  copy = before;
  EXPECT_FALSE(apply_delta("rill-metadata-delta 1\nbroker 4 h 1 -\n", &copy));  // no epoch
  EXPECT_EQ(delta_epoch("rill-metadata-delta 1\nepoch x\n"), -1);
  copy = before;
  ASSERT_TRUE(apply_delta(delta, &copy));
  EXPECT_EQ(copy.topics.count("a"), 0u);
}

}  // namespace
}  // namespace rill::control
