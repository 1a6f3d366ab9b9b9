// The broker's configuration schema and its translation into
// broker_settings. `rill broker --help` prints the schema.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/config.h"
#include "dataplane/partition/broker_settings.h"

namespace rill::broker {

config make_broker_config();
// Loads an optional file and --key=value overrides; returns an error
// message naming the bad key and value, or fills settings.
std::optional<std::string> load_broker_settings(const std::vector<std::string>& args,
                                                partition::broker_settings* settings);
std::string broker_config_help();

}  // namespace rill::broker
