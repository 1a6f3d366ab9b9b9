#include "control/replica_assignment.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

namespace rill::control {
namespace {

TEST(replica_assignment, leaders_are_spread_evenly_and_replicas_are_distinct) {
  auto placement = assign_replicas({{1, {}}, {2, {}}, {3, {}}}, 6, 3, 0);
  std::map<int32_t, int> leaders;
  for (const auto& replicas : placement) {
    ASSERT_EQ(replicas.size(), 3u);
    EXPECT_EQ(std::set<int32_t>(replicas.begin(), replicas.end()).size(), 3u);
    leaders[replicas[0]]++;
  }
  EXPECT_EQ(leaders[1], 2);
  EXPECT_EQ(leaders[2], 2);
  EXPECT_EQ(leaders[3], 2);
}

TEST(replica_assignment, replicas_land_on_distinct_racks) {
  auto placement =
      assign_replicas({{1, "a"}, {2, "a"}, {3, "b"}, {4, "b"}, {5, "c"}, {6, "c"}}, 12, 3, 0);
  std::map<int32_t, std::string> rack = {{1, "a"}, {2, "a"}, {3, "b"},
                                         {4, "b"}, {5, "c"}, {6, "c"}};
  for (const auto& replicas : placement) {
    std::set<std::string> racks;
    for (int32_t id : replicas) racks.insert(rack[id]);
    EXPECT_EQ(racks.size(), 3u);
  }
}

}  // namespace
}  // namespace rill::control
