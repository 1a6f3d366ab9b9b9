// `rill reassign generate|execute|verify|cancel|list`: partition
// reassignments as kafka-reassign-partitions.sh drives them (reassign.cc),
// over AlterPartitionReassignments and ListPartitionReassignments.
#pragma once

#include <string>
#include <vector>

namespace rill::cli {

int reassign_main(const std::vector<std::string>& args);

}  // namespace rill::cli
