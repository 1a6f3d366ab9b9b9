// `rill tune --check|--apply [NAMES]`: the machine settings Rill's latency
// and durability depend on, as `rpk redpanda tune` checks them (tune.cc;
// the tuners are in tuning/).
#pragma once

#include <string>
#include <vector>

namespace rill::cli {

int tune_main(const std::vector<std::string>& args);

}  // namespace rill::cli
