// `rill tune --check|--apply [NAMES]`: the machine settings Rill's latency
// and durability depend on, as `rpk redpanda tune` checks them (tune.cc;
// the tuners are in tuning/).
#pragma once

#include <string>
#include <vector>

namespace rill::cli {

int tune_main(const std::vector<std::string>& args);
// `rill iotune --dir=DIR --out=FILE`: measures the disk (tuning/iotune.h)
// and writes the profile a broker takes with --io.profile=FILE.
int iotune_main(const std::vector<std::string>& args);

}  // namespace rill::cli
