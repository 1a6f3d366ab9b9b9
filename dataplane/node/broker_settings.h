// broker_settings: the validated, typed configuration every part of the
// broker's data path reads. Built once at start-up from the config file and
// command line (dataplane/broker/broker_config.cc) and then read-only.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "storage/partition_log.h"

namespace rill::partition {

// Which network carries follower fetches (clients always use TCP).
enum class replication_transport : uint8_t { tcp, dpdk };

// The DPDK transport's settings (replication.dpdk.*).
struct dpdk_replication_settings {
  std::vector<std::string> eal_args;
  std::vector<std::pair<int32_t, std::string>> peer_ports;  // broker id, DPDK port name
  uint32_t segment_bytes = 1448;
  bool busy_poll = false;
  uint32_t idle_sleep_us = 1000;
};

struct broker_settings;

// What this broker uses for a topic config the topic does not set, when a
// broker setting stands behind it (retention.ms is log.retention.ms, ...);
// nullopt for topic configs without a broker default.
std::optional<std::string> broker_topic_default(const broker_settings& s, const std::string& key);

struct broker_settings {
  int32_t broker_id = 1;
  std::string listen_host = "127.0.0.1";
  int32_t port = 9092;
  // The operators' HTTP endpoint (/metrics, /ready, /live); 0: none.
  std::string admin_host = "127.0.0.1";
  int32_t admin_port = 0;
  std::string advertised_host = "127.0.0.1";
  std::string rack;
  std::string data_dir = "./data";
  uint32_t shards = 1;
  bool pin_shards = true;
  // The shards' io_uring rings (runtime_options).
  uint32_t uring_entries = 1024;
  uint32_t uring_sqpoll_idle_ms = 0;
  uint32_t shard_idle_poll_us = 0;
  int64_t socket_request_bytes_max = 100 << 20;
  int32_t connections_max = 10000;
  int32_t requests_in_flight_max = 64;
  int32_t num_partitions = 1;
  int32_t default_replication_factor = 1;
  bool auto_create_topics = true;
  int32_t min_insync_replicas = 1;
  int64_t replica_lag_time_max_ms = 30000;
  int64_t message_bytes_max = 1048588;
  int64_t fetch_wait_max_ms = 30000;
  // Incremental fetch sessions (KIP-227): slots for the whole broker, and
  // the idle time after which a session may be evicted for a new one.
  int32_t fetch_session_slots = 1000;
  int64_t fetch_session_eviction_ms = 120000;
  // Bytes per second a leader sends to replicas a reassignment is adding
  // (leader.replication.throttled.rate), split among its shards; 0: no
  // limit. In-sync replication is never throttled.
  int64_t leader_replication_throttled_rate = 0;
  // Response segments at least this large go out with SEND_ZC; 0 disables.
  int64_t zero_copy_min_bytes = 16 * 1024;
  // Tests only: faults on this broker's replication fetches (see
  // replication/replica_transport.h); all zero in production.
  uint64_t replication_fault_seed = 0;
  uint32_t replication_drop_per_mille = 0;
  uint32_t replication_delay_ms_max = 0;
  replication_transport transport = replication_transport::tcp;
  dpdk_replication_settings dpdk;
  // Tests only: while this file exists and says "eio" or "enospc", every
  // write, fsync, allocation and truncation of a partition log fails so.
  std::string disk_fault_file;
  // The broker's memory budget (memory.bytes), split evenly among shards;
  // each shard gives half of its share to hot tails and a quarter to write
  // staging (the rest is for requests, indexes and metadata, unbudgeted).
  uint64_t memory_bytes = 0;
  uint64_t shard_memory_bytes() const { return memory_bytes / std::max<uint32_t>(shards, 1); }
  uint64_t shard_hot_tail_bytes() const { return shard_memory_bytes() / 2; }
  uint64_t shard_staging_bytes() const { return shard_memory_bytes() / 4; }
  // Disk preallocated ahead of the data, all partitions together
  // (log.preallocate.total.bytes), split evenly among shards.
  uint64_t preallocate_total_bytes = 1ULL << 30;
  // Log defaults; topics override them with their own configs.
  storage::log_options log_defaults;
  int64_t log_flush_check_ms = 100;
  // Compaction of cleanup.policy=compact topics (Kafka's log.cleaner.*).
  bool log_cleaner_enable = true;
  int64_t log_cleaner_backoff_ms = 15000;
  int64_t log_cleaner_dedupe_buffer_bytes = 32 << 20;  // split among shards
  int64_t log_cleaner_io_bytes_per_second = 64 << 20;  // per shard; 0: no limit
  int64_t log_retention_check_ms = 300000;
  // Log writes in flight per shard (disk.writes.in.flight.max, or from
  // io.profile); 0: no limit.
  uint32_t disk_writes_in_flight_max = 0;
  // Logs one shard opens (and recovers: scans, index rebuilds) at once at
  // start-up and when given many replicas (log.recovery.opens.in.flight,
  // or from io.profile).
  uint32_t log_recovery_opens_in_flight = 32;
  // What io.profile set, for the start-up log; empty without a profile.
  std::string io_profile_summary;
  // Consumer groups (dataplane/group): the offsets topic, created on first
  // use, and the coordinator's limits, with Kafka's names and defaults
  // except where noted in broker_config.cc.
  int32_t offsets_topic_partitions = 16;
  int32_t offsets_topic_replication_factor = 3;
  int64_t offsets_topic_segment_bytes = 100 << 20;
  int64_t offsets_retention_ms = 7 * 86400000LL;
  int32_t offsets_commit_timeout_ms = 5000;
  int32_t offset_metadata_bytes_max = 4096;
  int32_t group_min_session_timeout_ms = 6000;
  int32_t group_max_session_timeout_ms = 1800000;
  int32_t group_initial_rebalance_delay_ms = 3000;
  int32_t group_members_max = 1000;
  // Transactions (dataplane/transaction): the transaction state topic,
  // created on first use, and the coordinator's limits.
  int32_t txn_state_partitions = 16;
  int32_t txn_state_replication_factor = 3;
  int32_t txn_state_min_isr = 2;
  int64_t txn_state_segment_bytes = 100 << 20;
  int32_t txn_max_timeout_ms = 900000;
  int64_t txn_abort_check_interval_ms = 10000;
  std::string cluster_id = "rill-cluster";
  // host:port of the controller; empty: standalone, with the embedded store.
  std::string controller;
  int64_t heartbeat_interval_ms = 500;
  int64_t controlled_shutdown_timeout_ms = 10000;
};

}  // namespace rill::partition
