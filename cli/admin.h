// The admin commands: `rill topics create|describe|delete|alter-config`,
// `rill cluster describe`, `rill elect-leaders --preferred`. They talk to
// the cluster over the Kafka protocol (librdkafka's admin client; a plain
// ElectLeaders request where librdkafka 2.0 has no call for it).
#pragma once

#include <string>
#include <vector>

namespace rill::cli {

int topics_main(const std::vector<std::string>& args);
int cluster_main(const std::vector<std::string>& args);
int elect_leaders_main(const std::vector<std::string>& args);

}  // namespace rill::cli
