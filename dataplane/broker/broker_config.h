// The broker's configuration schema and its translation into
// broker_settings. `rill broker --help` prints every setting.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/config.h"
#include "dataplane/node/broker_settings.h"
#include "platform/process/service.h"

namespace rill::broker {

inline constexpr process::service_identity k_broker_service{
    .command = "rill broker", .role = "broker", .summary = "Runs one Rill broker."};

config make_broker_config();
// Reads the broker's command line: every setting as --key=value or
// --key value, and --config FILE (a key=value file the options override).
// Returns the code to exit with when the program should not run (--help: 0
// after the usage; a bad option or value: 2 after one message naming
// both), or fills settings.
std::optional<int> load_broker_settings(const std::vector<std::string>& args,
                                        partition::broker_settings* settings);

}  // namespace rill::broker
