// A build without libdpdk: the DPDK link cannot be opened, and says so.
#include "dataplane/bypass/dpdk_link.h"

namespace rill::bypass {

bool dpdk_available() {
  return false;
}

std::unique_ptr<frame_link> open_dpdk_link(const dpdk_link_options& /*options*/,
                                           std::string* error) {
  *error =
      "this build of rill has no DPDK (libdpdk was not found when it was configured; install "
      "libdpdk-dev and rebuild, or use replication.transport=tcp)";
  return nullptr;
}

}  // namespace rill::bypass
