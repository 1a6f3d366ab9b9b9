// `rill groups list|describe|delete|reset-offsets`: consumer groups as
// kafka-consumer-groups.sh shows and changes them (groups.cc).
#pragma once

#include <string>
#include <vector>

namespace rill::cli {

int groups_main(const std::vector<std::string>& args);

}  // namespace rill::cli
