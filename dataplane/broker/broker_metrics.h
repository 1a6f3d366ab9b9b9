// broker_metrics: what one broker reports at /metrics. Each shard takes a
// copy of its own figures on its thread (collect_shard_metrics, reached
// through submit_to); render_broker_metrics merges the copies into the
// Prometheus text. docs/metrics.md lists every family with its Kafka
// equivalent.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "dataplane/bypass/bypass_endpoint.h"
#include "dataplane/group/group_coordinator.h"
#include "dataplane/kafka/server/request_stats.h"
#include "dataplane/node/shard_state.h"
#include "dataplane/partition/partition_replica.h"
#include "dataplane/transaction/transaction_coordinator.h"
#include "platform/net/tcp_server.h"
#include "platform/runtime/shard.h"
#include "storage/uring/uring_file_io.h"

namespace rill::broker {

// The per-shard objects a scrape reads; filled in by each shard at start.
struct shard_parts {
  partition::shard_state* state = nullptr;
  group::group_coordinator* coordinator = nullptr;
  transaction::transaction_coordinator* transactions = nullptr;
  net::tcp_server* server = nullptr;
  const bypass::bypass_endpoint* dpdk = nullptr;  // shard 0 with replication.transport=dpdk
};

struct partition_row {
  std::string topic;
  int32_t partition = 0;
  partition::replica_report replica;
};

// One shard's figures at one instant.
struct shard_metrics {
  uint32_t shard = 0;
  uint64_t uptime_ns = 0;
  runtime::shard_stats loop;
  storage::disk_stats disk;
  kafka::request_stats requests;
  net::connection_counters network;
  size_t connections = 0;
  partition::replication_counters replication;
  std::vector<partition_row> partitions;
  std::vector<group::group_report> groups;
  transaction::txn_report transactions;
  bypass::endpoint_counters dpdk;  // zero unless this shard runs the DPDK transport
  bypass::link_counters dpdk_link;
};

// REQUIRES: runs on the shard that owns parts.
shard_metrics collect_shard_metrics(runtime::shard& s, const shard_parts& parts);

std::string render_broker_metrics(int32_t broker_id, const std::vector<shard_metrics>& shards);

}  // namespace rill::broker
