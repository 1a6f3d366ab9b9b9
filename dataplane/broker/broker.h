// run_broker(): the broker process: starts the shards, opens the embedded
// metadata store on shard 0, brings every shard's partitions up, listens for
// Kafka clients on every shard (SO_REUSEPORT), and runs until SIGTERM or
// SIGINT, then drains in-flight requests and closes every log cleanly.
#pragma once

#include "dataplane/node/broker_settings.h"

namespace rill::broker {

// Returns the process exit code.
int run_broker(const partition::broker_settings& settings);

}  // namespace rill::broker
