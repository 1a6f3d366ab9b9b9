// rill dev: a local cluster on loopback for people (run: foreground, Ctrl-C
// stops it) and for scripts (start: detached; status [--json]; stop).
// Every process it starts is listed, with its role, id, pid, ports and data
// directory, in <dir>/dev-cluster.state.
#pragma once

#include <string>
#include <vector>

namespace rill::cli {

int dev_main(const char* self, const std::vector<std::string>& args);

}  // namespace rill::cli
