// controller_metrics: what the controller reports at /metrics: whether it
// is the active controller, the cluster's partitions and brokers as its
// metadata says, and the decisions it has made. Rendered on the
// controller's shard from its service (null while a standby waits for the
// etcd leadership). docs/metrics.md lists the families.
#pragma once

#include <string>

#include "control/controller_service.h"

namespace rill::control {

std::string render_controller_metrics(const controller_service* service);

}  // namespace rill::control
