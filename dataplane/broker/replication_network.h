// replication_network: the broker's DPDK replication transport, when
// replication.transport=dpdk. Opens the DPDK link at start (on the main
// thread, before the shards), runs the bypass endpoint on shard 0, serves
// the Kafka protocol on every connection a peer opens (the same code that
// serves TCP, so a follower's Fetch is answered identically), and builds
// the fetchers' transports: on shard 0 directly, on other shards through
// the shard mailboxes (the documented dispatch scheme: one shard owns the
// port's only queue pair).
//
// Owned by run_broker(); outlives the runtime. start() and stop() run on
// shard 0.
#pragma once

#include <memory>
#include <string>

#include "base/task.h"
#include "dataplane/bypass/bypass_endpoint.h"
#include "dataplane/node/broker_context.h"
#include "dataplane/node/broker_settings.h"
#include "dataplane/replication/replica_transport.h"

namespace rill::broker {

class replication_network {
 public:
  // Opens the DPDK ports; nullptr with *error set when it cannot (including
  // a build without DPDK).
  static std::unique_ptr<replication_network> open(const partition::broker_settings& settings,
                                                   std::string* error);

  void start(runtime::shard& s, partition::broker_context& context);
  task<void> stop();

  // For fetcher_options::make_transport.
  std::unique_ptr<replication::replica_transport> make_transport(runtime::shard& s, int32_t leader);
  // For the metrics; nullptr before start().
  const bypass::bypass_endpoint* endpoint() const { return endpoint_.get(); }
  // Bytes, frames, retransmissions and copies, for the log at stop.
  std::string summary() const;

 private:
  replication_network(const partition::broker_settings& settings,
                      std::unique_ptr<bypass::frame_link> link);

  const partition::broker_settings* settings_;
  std::unique_ptr<bypass::frame_link> link_;  // until start() hands it to the endpoint
  std::unique_ptr<bypass::bypass_endpoint> endpoint_;
  runtime::shard* home_ = nullptr;
  int served_ = 0;  // Kafka sessions running over the endpoint
};

}  // namespace rill::broker
