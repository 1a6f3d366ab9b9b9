// Replica placement for new topics: a pure function, testable without
// processes. Leaders (first replicas) are spread evenly over the brokers;
// when brokers have racks, consecutive brokers in the placement order
// alternate racks so that a partition's replicas land on distinct racks.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace rill::control {

struct placement_broker {
  int32_t id;
  std::optional<std::string> rack;
};

// replicas[p] for p in [0, partitions). REQUIRES: 0 < rf <= brokers.size().
std::vector<std::vector<int32_t>> assign_replicas(std::vector<placement_broker> brokers,
                                                  int32_t partitions, int32_t replication_factor,
                                                  int32_t start_index);

}  // namespace rill::control
