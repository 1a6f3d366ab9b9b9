#include "control/replica_assignment.h"

#include <algorithm>
#include <map>

#include "base/assert.h"

namespace rill::control {
namespace {

// Orders brokers so that racks alternate: r1-b1, r2-b2, r3-b3, r1-b4, ...
std::vector<placement_broker> rack_alternating(std::vector<placement_broker> brokers) {
  std::map<std::string, std::vector<placement_broker>> by_rack;
  for (const placement_broker& b : brokers) by_rack[b.rack.value_or("")].push_back(b);
  std::vector<placement_broker> out;
  for (size_t round = 0; out.size() < brokers.size(); ++round) {
    for (auto& [rack, members] : by_rack) {
      if (round < members.size()) out.push_back(members[round]);
    }
  }
  return out;
}

}  // namespace

std::vector<std::vector<int32_t>> assign_replicas(std::vector<placement_broker> brokers,
                                                  int32_t partitions, int32_t replication_factor,
                                                  int32_t start_index) {
  RILL_ASSERT(replication_factor > 0 && static_cast<size_t>(replication_factor) <= brokers.size(),
              "rf %d with %zu brokers", replication_factor, brokers.size());
  RILL_ASSERT(partitions > 0, "partitions %d", partitions);
  std::sort(brokers.begin(), brokers.end(),
            [](const placement_broker& a, const placement_broker& b) { return a.id < b.id; });
  bool racks = std::any_of(brokers.begin(), brokers.end(),
                           [](const placement_broker& b) { return b.rack.has_value(); });
  if (racks) brokers = rack_alternating(std::move(brokers));
  const auto n = static_cast<int32_t>(brokers.size());
  std::vector<std::vector<int32_t>> out(static_cast<size_t>(partitions));
  for (int32_t p = 0; p < partitions; ++p) {
    int32_t first = (start_index + p) % n;
    for (int32_t r = 0; r < replication_factor; ++r) {
      out[static_cast<size_t>(p)].push_back(brokers[static_cast<size_t>((first + r) % n)].id);
    }
  }
  return out;
}

}  // namespace rill::control
