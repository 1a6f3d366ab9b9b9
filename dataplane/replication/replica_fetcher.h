// replica_fetcher: the follower side of replication for one (shard, leader
// broker) pair: one TCP connection to the leader's Kafka port and one Fetch
// request (v12, replica id = this broker) carrying every partition this
// shard follows on that leader, so thousands of partitions do not mean
// thousands of streams.
//
// Each response's records are appended as they are (offsets and epochs
// kept); a DivergingEpoch answer truncates the local log to where it left
// the leader's history; the leader's high watermark comes back with every
// response. Traffic goes through a replica_transport (TCP, or a faulty one
// in tests). Runs on its shard until stop(); owned by shard_state.
#pragma once

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <utility>

#include "base/task.h"
#include "dataplane/kafka/messages/fetch.h"
#include "dataplane/partition/partition_replica.h"
#include "dataplane/replication/replica_transport.h"
#include "platform/net/provided_buffer_ring.h"
#include "platform/net/socket_address.h"
#include "platform/net/tcp_connection.h"
#include "platform/runtime/wait_queue.h"

namespace rill::replication {

struct fetcher_options {
  int32_t self = -1;
  int32_t leader = -1;
  net::socket_address leader_address;
  int32_t max_wait_ms = 500;
  int32_t partition_max_bytes = 1 << 20;
  int32_t response_max_bytes = 16 << 20;
  transport_faults faults;  // tests: drop/delay replication traffic (off when all zero)
  // Builds the transport to the leader (the DPDK one); TCP when empty.
  std::function<std::unique_ptr<replica_transport>(runtime::shard&, int32_t leader)> make_transport;
};

class replica_fetcher {
 public:
  using finder =
      std::function<std::shared_ptr<partition::partition_replica>(const std::string&, int32_t)>;

  replica_fetcher(runtime::shard& s, fetcher_options options, net::provided_buffer_ring* buffers,
                  finder find);
  ~replica_fetcher();

  const net::socket_address& leader_address() const { return options_.leader_address; }
  void set_partitions(std::set<std::pair<std::string, int32_t>> partitions);
  void start();
  task<void> stop();

 private:
  task<void> run();
  task<bool> fetch_once();
  task<void> apply(const std::string& topic, const kafka::fetched_partition& p);

  runtime::shard* shard_;
  fetcher_options options_;
  finder find_;
  std::set<std::pair<std::string, int32_t>> partitions_;
  std::unique_ptr<replica_transport> transport_;
  int32_t correlation_ = 0;
  bool running_ = false;
  bool stopping_ = false;
  runtime::wait_queue changed_;
  runtime::wait_queue stopped_;
};

}  // namespace rill::replication
