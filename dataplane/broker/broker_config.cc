#include "dataplane/broker/broker_config.h"

#include <unistd.h>

#include <cstdio>
#include <sstream>

#include "base/host_port.h"
#include "base/log.h"
#include "tuning/io_profile.h"

namespace rill::broker {

config make_broker_config() {
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  return config({
      {"broker.id", setting_kind::integer, "1", "this broker's id", 0, 1 << 20},
      {"listen.host", setting_kind::text, "127.0.0.1", "address the Kafka listener binds"},
      {"port", setting_kind::integer, "9092", "Kafka listener port", 1, 65535},
      {"admin.host", setting_kind::text, "127.0.0.1",
       "address the admin HTTP endpoint (/metrics, /ready, /live) binds"},
      {"admin.port", setting_kind::integer, "0",
       "port of the admin HTTP endpoint: Prometheus metrics at /metrics, probes at /ready and "
       "/live; 0: no endpoint",
       0, 65535},
      {"io.profile", setting_kind::text, "",
       "a disk profile written by `rill iotune --out=FILE` (or Seastar's io-properties YAML): "
       "sets the log writes each shard keeps in flight, the flush batch (the staging buffer one "
       "write+fdatasync carries) and the cleaner's I/O budget from the measured disk; settings "
       "given explicitly win"},
      {"log.recovery.opens.in.flight", setting_kind::integer, "32",
       "logs one shard opens and recovers at once (start-up, many new replicas); io.profile "
       "sets it",
       1, 1024},
      {"disk.writes.in.flight.max", setting_kind::integer, "0",
       "log writes one shard keeps in flight (0: no limit; io.profile sets it)", 0, 1024},
      {"leader.replication.throttled.rate", setting_kind::integer, "0",
       "bytes per second this broker sends, as leader, to the replicas a reassignment is adding "
       "(their catch-up); in-sync replicas are never throttled. 0: no limit",
       0, INT64_MAX},
      {"advertised.host", setting_kind::text, "",
       "host clients are told to use (default listen.host)"},
      {"broker.rack", setting_kind::text, "", "rack id, for rack-aware placement"},
      {"log.dirs", setting_kind::text, "./data/broker-1", "data directory"},
      {"shards", setting_kind::integer, std::to_string(cpus < 1 ? 1 : cpus),
       "shard threads (one per core)", 1, 256},
      {"pin.shards", setting_kind::boolean, "true", "pin each shard thread to a CPU"},
      {"io_uring.entries", setting_kind::integer, "1024",
       "submission queue entries of each shard's io_uring (completion queue: 4x)", 64, 32768},
      {"io_uring.sqpoll.idle.ms", setting_kind::integer, "0",
       "above 0: a kernel thread per shard polls its submission queue (SQPOLL) and sleeps after "
       "this long without submissions; it takes a CPU while polling. 0: off",
       0, 60000},
      {"shard.idle.poll.us", setting_kind::integer, "0",
       "after a loop iteration that did work, a shard polls for completions this long before "
       "sleeping (busy-poll for latency; 0: off)",
       0, 100000},
      {"memory.bytes", setting_kind::integer, "0",
       "the broker's memory budget, split among shards (half for hot tails, a quarter for "
       "write staging); 0: a quarter of the machine's memory",
       0, 1LL << 50},
      {"log.level",
       setting_kind::choice,
       "info",
       "log level",
       0,
       0,
       {"trace", "debug", "info", "warn", "error"}},
      {"socket.request.max.bytes", setting_kind::integer, "104857600", "largest request frame",
       1024, 1 << 30},
      {"connections.max", setting_kind::integer, "10000", "connections per shard", 1, 1 << 20},
      {"requests.in.flight.max", setting_kind::integer, "64", "pipelined requests per connection",
       1, 4096},
      {"num.partitions", setting_kind::integer, "1", "partitions of auto-created topics", 1, 10000},
      {"default.replication.factor", setting_kind::integer, "1",
       "replication factor of auto-created topics", 1, 16},
      {"auto.create.topics.enable", setting_kind::boolean, "true", "create topics on first use"},
      {"min.insync.replicas", setting_kind::integer, "1", "default min.insync.replicas", 1, 16},
      {"replica.lag.time.max.ms", setting_kind::integer, "30000", "ISR lag bound", 10, 3600000},
      {"message.max.bytes", setting_kind::integer, "1048588", "largest record batch", 64, 64 << 20},
      {"socket.zero.copy.min.bytes", setting_kind::integer, "16384",
       "response segments at least this large are sent with SEND_ZC (0: never)", 0, 1LL << 30},
      {"replication.transport",
       setting_kind::choice,
       "tcp",
       "network for follower fetches between brokers: tcp (io_uring) or dpdk (the user-space "
       "transport on DPDK ports; clients always use TCP)",
       0,
       0,
       {"tcp", "dpdk"}},
      {"replication.dpdk.eal.args", setting_kind::text,
       "--no-huge --no-pci --no-shconf -m 256 --no-telemetry -l 0 --log-level=*:warning",
       "DPDK EAL arguments, separated by spaces (vdevs go in replication.dpdk.vdevs)"},
      {"replication.dpdk.vdevs", setting_kind::text, "",
       "virtual devices, separated by ';', each passed as --vdev, e.g. "
       "net_memif0,role=server,socket=/run/rill/m12.sock,socket-abstract=no"},
      {"replication.dpdk.peers", setting_kind::text, "",
       "which DPDK port reaches which broker: ID=PORT,... e.g. 2=net_memif0,3=net_memif1 (one "
       "port may reach several brokers, e.g. an af_packet interface on a bridge)"},
      {"replication.dpdk.segment.bytes", setting_kind::integer, "1448",
       "payload bytes per frame (1448 fits a 1500-byte MTU; up to 8960 with jumbo frames)", 256,
       8960},
      {"replication.dpdk.busy.poll", setting_kind::boolean, "false",
       "poll the DPDK port without ever sleeping (lowest latency; takes the core)"},
      {"replication.dpdk.idle.sleep.us", setting_kind::integer, "1000",
       "longest sleep between polls of an idle DPDK port (polls back off from 1 us to this)", 1,
       100000},
      {"test.replication.faults", setting_kind::text, "",
       "tests only: SEED:DROP_PER_MILLE:DELAY_MS_MAX faults on replication fetches"},
      {"test.disk.fault.file", setting_kind::text, "",
       "tests only: while this file exists and holds 'eio' or 'enospc', partition log writes, "
       "fsyncs and allocations fail with that error"},
      {"fetch.max.wait.ms", setting_kind::integer, "30000", "upper bound on Fetch max_wait_ms", 0,
       600000},
      {"max.incremental.fetch.session.cache.slots", setting_kind::integer, "1000",
       "incremental fetch sessions (KIP-227) this broker keeps, split among its shards; 0 turns "
       "sessions off (every Fetch is answered in full)",
       0, 1000000},
      {"min.incremental.fetch.session.eviction.ms", setting_kind::integer, "120000",
       "how long a fetch session must have been idle before a new one may take its slot", 0,
       INT64_MAX},
      {"log.segment.bytes", setting_kind::integer, "1073741824", "segment size", 1 << 20,
       1LL << 40},
      {"log.roll.ms", setting_kind::integer, "604800000", "segment age", 1000, INT64_MAX},
      {"log.retention.ms", setting_kind::integer, "604800000", "retention by time (-1: none)", -1,
       INT64_MAX},
      {"log.retention.bytes", setting_kind::integer, "-1",
       "retention by size per partition (-1: none)", -1, INT64_MAX},
      {"log.retention.check.interval.ms", setting_kind::integer, "300000",
       "how often retention runs", 100, INT64_MAX},
      {"log.flush.policy",
       setting_kind::choice,
       "fsync",
       "fsync before ack, on an interval, or rely on replication",
       0,
       0,
       {"fsync", "interval", "replication"}},
      {"log.flush.interval.ms", setting_kind::integer, "1000", "interval of the interval policy", 1,
       3600000},
      {"log.direct.io", setting_kind::boolean, "true", "O_DIRECT appends"},
      {"log.preallocate.bytes", setting_kind::integer, "16777216",
       "preallocation ahead of the write position", 0, 1LL << 32},
      {"log.preallocate.total.bytes", setting_kind::integer, "1073741824",
       "disk preallocated ahead of the data by all partitions together; each partition's window "
       "starts at 256 KiB and follows its write rate up to log.preallocate.bytes",
       0, 1LL << 50},
      {"log.preallocate.method",
       setting_kind::choice,
       "auto",
       "fallocate (unwritten extents), zero (zeros written ahead: faster fsync, twice the "
       "writes), adaptive (fallocate, zeros ahead while writes are small), auto (zero under the "
       "fsync policy, else adaptive)",
       0,
       0,
       {"auto", "fallocate", "zero", "adaptive"}},
      {"log.hot.tail.bytes", setting_kind::integer, "8388608",
       "recent data kept in memory per partition", 0, 1LL << 32},
      {"cluster.id", setting_kind::text, "rill-cluster", "cluster id reported in Metadata"},
      {"controller", setting_kind::text, "",
       "controller host:port, or a comma-separated list of candidates (etcd store); empty: "
       "standalone broker with its own metadata"},
      {"heartbeat.interval.ms", setting_kind::integer, "500", "heartbeats to the controller", 10,
       60000},
      {"controlled.shutdown.timeout.ms", setting_kind::integer, "10000",
       "wait for leaderships to move on SIGTERM", 0, 600000},
      {"log.cleaner.enable", setting_kind::boolean, "true",
       "compact topics with cleanup.policy=compact"},
      {"log.cleaner.backoff.ms", setting_kind::integer, "15000",
       "how often each shard looks for logs to compact", 10, 86400000},
      {"log.cleaner.dedupe.buffer.size", setting_kind::integer, "33554432",
       "memory for the compaction key maps, split among shards (about 40 bytes a key)", 1 << 20,
       1LL << 34},
      {"log.cleaner.io.max.bytes.per.second", setting_kind::integer, "67108864",
       "compaction I/O per shard (0: no limit)", 0, 1LL << 40},
      {"offsets.topic.num.partitions", setting_kind::integer, "16",
       "partitions of __consumer_offsets, fixed when it is created (Kafka: 50; 16 suits a "
       "machine of a few cores)",
       1, 1000},
      {"offsets.topic.replication.factor", setting_kind::integer, "3",
       "replication factor of __consumer_offsets (fewer when fewer brokers are alive at its "
       "creation)",
       1, 16},
      {"offsets.topic.segment.bytes", setting_kind::integer, "104857600",
       "segment size of __consumer_offsets", 14, 1LL << 30},
      {"offsets.retention.minutes", setting_kind::integer, "10080",
       "committed offsets of an empty group expire after this long", 1, 525600000},
      {"offsets.commit.timeout.ms", setting_kind::integer, "5000",
       "how long a commit waits for its write to be replicated", 1, 600000},
      {"offset.metadata.max.bytes", setting_kind::integer, "4096",
       "largest metadata string of a committed offset", 0, 1 << 20},
      {"transaction.state.log.num.partitions", setting_kind::integer, "16",
       "partitions of __transaction_state, fixed when it is created (Kafka: 50; 16 suits a "
       "machine of a few cores)",
       1, 1000},
      {"transaction.state.log.replication.factor", setting_kind::integer, "3",
       "replication factor of __transaction_state (fewer when fewer brokers are alive at its "
       "creation)",
       1, 16},
      {"transaction.state.log.min.isr", setting_kind::integer, "2",
       "min.insync.replicas of __transaction_state (at most its replication factor)", 1, 16},
      {"transaction.state.log.segment.bytes", setting_kind::integer, "104857600",
       "segment size of __transaction_state", 14, 1LL << 30},
      {"transaction.max.timeout.ms", setting_kind::integer, "900000",
       "largest transaction.timeout.ms a producer may ask for", 1, 2147483647},
      {"transaction.abort.timed.out.transaction.cleanup.interval.ms", setting_kind::integer,
       "10000", "how often the coordinator looks for transactions past their timeout", 10, 3600000},
      {"group.min.session.timeout.ms", setting_kind::integer, "6000",
       "smallest session timeout a member may ask for", 1, 3600000},
      {"group.max.session.timeout.ms", setting_kind::integer, "1800000",
       "largest session timeout a member may ask for", 1, 3600000},
      {"group.initial.rebalance.delay.ms", setting_kind::integer, "3000",
       "how long the first rebalance of an empty group waits for more members", 0, 600000},
      {"group.max.size", setting_kind::integer, "1000", "members per group", 1, 1000000},
  });
}

namespace {

// io.profile: budgets from a measured disk (tuning/io_profile.h), except
// where a setting was given explicitly.
std::optional<std::string> apply_io_profile(const config& c, partition::broker_settings* s) {
  tuning::io_profile_read read = tuning::read_io_profile(c.text("io.profile"));
  if (!read.profile) return "io.profile: " + read.error;
  tuning::io_budgets b = tuning::derive_io_budgets(*read.profile, s->shards);
  if (!c.is_set("disk.writes.in.flight.max"))
    s->disk_writes_in_flight_max = b.writes_in_flight_per_shard;
  if (!c.is_set("log.recovery.opens.in.flight")) {
    s->log_recovery_opens_in_flight = b.recovery_opens_per_shard;
  }
  if (!c.is_set("log.cleaner.io.max.bytes.per.second")) {
    s->log_cleaner_io_bytes_per_second = static_cast<int64_t>(b.cleaner_bytes_per_second);
  }
  s->log_defaults.staging_bytes_max = static_cast<size_t>(b.staging_bytes_max);
  s->io_profile_summary =
      c.text("io.profile") + " (" + read.profile->mountpoint + ": write " +
      std::to_string(read.profile->write_bandwidth >> 20) + " MiB/s, " +
      std::to_string(read.profile->write_iops) + " IOPS, fsync p50 " +
      std::to_string(read.profile->fsync_p50_us) +
      " us): " + std::to_string(s->disk_writes_in_flight_max) + " writes in flight per shard, " +
      std::to_string(s->log_recovery_opens_in_flight) +
      " log recoveries at once per shard, flush batch up to " +
      std::to_string(b.staging_bytes_max >> 10) + " KiB, cleaner " +
      std::to_string(s->log_cleaner_io_bytes_per_second >> 20) + " MiB/s per shard";
  return std::nullopt;
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::stringstream in(text);
  std::string part;
  while (std::getline(in, part, separator)) {
    if (!part.empty()) parts.push_back(part);
  }
  return parts;
}

std::optional<std::string> dpdk_settings_from_config(const config& c,
                                                     partition::broker_settings* s) {
  s->transport = c.text("replication.transport") == "dpdk" ? partition::replication_transport::dpdk
                                                           : partition::replication_transport::tcp;
  partition::dpdk_replication_settings& d = s->dpdk;
  d.eal_args = split(c.text("replication.dpdk.eal.args"), ' ');
  for (const std::string& vdev : split(c.text("replication.dpdk.vdevs"), ';')) {
    d.eal_args.push_back("--vdev=" + vdev);
  }
  for (const std::string& entry : split(c.text("replication.dpdk.peers"), ',')) {
    size_t eq = entry.find('=');
    int64_t id = -1;
    if (eq == std::string::npos || !parse_integer(entry.substr(0, eq), &id) || id < 0 ||
        id > INT32_MAX || eq + 1 == entry.size()) {
      return "invalid entry '" + entry + "' in 'replication.dpdk.peers': expected ID=PORT";
    }
    d.peer_ports.emplace_back(static_cast<int32_t>(id), entry.substr(eq + 1));
  }
  d.segment_bytes = static_cast<uint32_t>(c.integer("replication.dpdk.segment.bytes"));
  d.busy_poll = c.boolean("replication.dpdk.busy.poll");
  d.idle_sleep_us = static_cast<uint32_t>(c.integer("replication.dpdk.idle.sleep.us"));
  if (s->transport == partition::replication_transport::dpdk && d.peer_ports.empty()) {
    return "replication.transport=dpdk needs replication.dpdk.peers (which port reaches which "
           "broker)";
  }
  return std::nullopt;
}

// The settings' values into broker_settings, with the checks that involve
// several settings; an error message, or nullopt.
std::optional<std::string> settings_from_config(const config& c, partition::broker_settings* s) {
  s->broker_id = static_cast<int32_t>(c.integer("broker.id"));
  s->listen_host = c.text("listen.host");
  s->port = static_cast<int32_t>(c.integer("port"));
  s->admin_host = c.text("admin.host");
  s->admin_port = static_cast<int32_t>(c.integer("admin.port"));
  if (s->admin_port != 0 && s->admin_port == s->port) {
    return "admin.port must differ from port (" + std::to_string(s->port) + ")";
  }
  s->advertised_host =
      c.text("advertised.host").empty() ? s->listen_host : c.text("advertised.host");
  if (s->advertised_host == "0.0.0.0")
    return "advertised.host must be set when listen.host is 0.0.0.0";
  s->rack = c.text("broker.rack");
  s->data_dir = c.text("log.dirs");
  s->shards = static_cast<uint32_t>(c.integer("shards"));
  s->pin_shards = c.boolean("pin.shards");
  s->uring_entries = static_cast<uint32_t>(c.integer("io_uring.entries"));
  s->uring_sqpoll_idle_ms = static_cast<uint32_t>(c.integer("io_uring.sqpoll.idle.ms"));
  s->shard_idle_poll_us = static_cast<uint32_t>(c.integer("shard.idle.poll.us"));
  s->memory_bytes = static_cast<uint64_t>(c.integer("memory.bytes"));
  if (s->memory_bytes == 0) {
    long pages = sysconf(_SC_PHYS_PAGES);
    long page = sysconf(_SC_PAGE_SIZE);
    s->memory_bytes = pages > 0 && page > 0 ? static_cast<uint64_t>(pages) * page / 4 : 1ULL << 30;
  }
  if (s->shard_memory_bytes() < 16ULL << 20) {
    return "memory.bytes gives each shard " + std::to_string(s->shard_memory_bytes() >> 20) +
           " MiB; at least 16 MiB per shard is needed";
  }
  s->socket_request_bytes_max = c.integer("socket.request.max.bytes");
  s->connections_max = static_cast<int32_t>(c.integer("connections.max"));
  s->requests_in_flight_max = static_cast<int32_t>(c.integer("requests.in.flight.max"));
  s->num_partitions = static_cast<int32_t>(c.integer("num.partitions"));
  s->default_replication_factor = static_cast<int32_t>(c.integer("default.replication.factor"));
  s->auto_create_topics = c.boolean("auto.create.topics.enable");
  s->min_insync_replicas = static_cast<int32_t>(c.integer("min.insync.replicas"));
  s->replica_lag_time_max_ms = c.integer("replica.lag.time.max.ms");
  s->message_bytes_max = c.integer("message.max.bytes");
  s->fetch_wait_max_ms = c.integer("fetch.max.wait.ms");
  s->fetch_session_slots =
      static_cast<int32_t>(c.integer("max.incremental.fetch.session.cache.slots"));
  s->fetch_session_eviction_ms = c.integer("min.incremental.fetch.session.eviction.ms");
  s->zero_copy_min_bytes = c.integer("socket.zero.copy.min.bytes");
  if (!c.text("test.replication.faults").empty()) {
    unsigned long long seed = 0;
    unsigned drop = 0, delay = 0;
    if (sscanf(c.text("test.replication.faults").c_str(), "%llu:%u:%u", &seed, &drop, &delay) !=
            3 ||
        drop > 1000) {
      return "invalid value '" + c.text("test.replication.faults") +
             "' for 'test.replication.faults': expected SEED:DROP_PER_MILLE:DELAY_MS_MAX";
    }
    s->replication_fault_seed = seed;
    s->replication_drop_per_mille = drop;
    s->replication_delay_ms_max = delay;
  }
  s->disk_fault_file = c.text("test.disk.fault.file");
  if (auto e = dpdk_settings_from_config(c, s)) return e;
  s->cluster_id = c.text("cluster.id");
  s->controller = c.text("controller");
  s->heartbeat_interval_ms = c.integer("heartbeat.interval.ms");
  s->controlled_shutdown_timeout_ms = c.integer("controlled.shutdown.timeout.ms");
  std::vector<host_port> controllers;
  if (!s->controller.empty() && !parse_host_port_list(s->controller, &controllers)) {
    return "invalid value '" + s->controller +
           "' for 'controller': expected host:port[,host:port...]";
  }
  s->offsets_topic_partitions = static_cast<int32_t>(c.integer("offsets.topic.num.partitions"));
  s->offsets_topic_replication_factor =
      static_cast<int32_t>(c.integer("offsets.topic.replication.factor"));
  s->offsets_topic_segment_bytes = c.integer("offsets.topic.segment.bytes");
  s->offsets_retention_ms = c.integer("offsets.retention.minutes") * 60000;
  s->offsets_commit_timeout_ms = static_cast<int32_t>(c.integer("offsets.commit.timeout.ms"));
  s->offset_metadata_bytes_max = static_cast<int32_t>(c.integer("offset.metadata.max.bytes"));
  s->txn_state_partitions = static_cast<int32_t>(c.integer("transaction.state.log.num.partitions"));
  s->txn_state_replication_factor =
      static_cast<int32_t>(c.integer("transaction.state.log.replication.factor"));
  s->txn_state_min_isr = static_cast<int32_t>(c.integer("transaction.state.log.min.isr"));
  s->txn_state_segment_bytes = c.integer("transaction.state.log.segment.bytes");
  s->txn_max_timeout_ms = static_cast<int32_t>(c.integer("transaction.max.timeout.ms"));
  s->txn_abort_check_interval_ms =
      c.integer("transaction.abort.timed.out.transaction.cleanup.interval.ms");
  s->group_min_session_timeout_ms = static_cast<int32_t>(c.integer("group.min.session.timeout.ms"));
  s->group_max_session_timeout_ms = static_cast<int32_t>(c.integer("group.max.session.timeout.ms"));
  if (s->group_min_session_timeout_ms > s->group_max_session_timeout_ms) {
    return "group.min.session.timeout.ms exceeds group.max.session.timeout.ms";
  }
  s->group_initial_rebalance_delay_ms =
      static_cast<int32_t>(c.integer("group.initial.rebalance.delay.ms"));
  s->group_members_max = static_cast<int32_t>(c.integer("group.max.size"));
  s->log_cleaner_enable = c.boolean("log.cleaner.enable");
  s->log_cleaner_backoff_ms = c.integer("log.cleaner.backoff.ms");
  s->log_cleaner_dedupe_buffer_bytes = c.integer("log.cleaner.dedupe.buffer.size");
  s->log_cleaner_io_bytes_per_second = c.integer("log.cleaner.io.max.bytes.per.second");
  s->log_retention_check_ms = c.integer("log.retention.check.interval.ms");
  storage::log_options& o = s->log_defaults;
  o.segment_bytes_max = static_cast<uint64_t>(c.integer("log.segment.bytes"));
  o.segment_ms_max = c.integer("log.roll.ms");
  o.retention_ms = c.integer("log.retention.ms");
  o.retention_bytes = c.integer("log.retention.bytes");
  o.batch_bytes_max = static_cast<size_t>(s->message_bytes_max);
  // A choice setting: the config refused any other name.
  o.sync_policy = storage::parse_durability(c.text("log.flush.policy"))
                      .value_or(storage::durability::sync_none);
  o.flush_interval_ms = c.integer("log.flush.interval.ms");
  o.direct = c.boolean("log.direct.io") ? storage::direct_io::on : storage::direct_io::off;
  o.preallocate_bytes = static_cast<uint64_t>(c.integer("log.preallocate.bytes"));
  s->preallocate_total_bytes = static_cast<uint64_t>(c.integer("log.preallocate.total.bytes"));
  // A choice setting: the config already refused any other name.
  storage::parse_preallocation(c.text("log.preallocate.method"), &o.preallocate_method);
  o.hot_tail_bytes_max = static_cast<size_t>(c.integer("log.hot.tail.bytes"));
  if (o.segment_bytes_max <= o.batch_bytes_max)
    return "log.segment.bytes must exceed message.max.bytes";
  s->disk_writes_in_flight_max = static_cast<uint32_t>(c.integer("disk.writes.in.flight.max"));
  s->log_recovery_opens_in_flight =
      static_cast<uint32_t>(c.integer("log.recovery.opens.in.flight"));
  s->leader_replication_throttled_rate = c.integer("leader.replication.throttled.rate");
  if (!c.text("io.profile").empty()) {
    if (auto error = apply_io_profile(c, s)) return error;
  }
  log_level level{};
  parse_log_level(c.text("log.level"), &level);
  set_log_level(level);
  return std::nullopt;
}

}  // namespace

std::optional<int> load_broker_settings(const std::vector<std::string>& args,
                                        partition::broker_settings* settings) {
  config c = make_broker_config();
  if (auto code = process::parse_service_command_line(k_broker_service, c, args)) return code;
  if (auto error = settings_from_config(c, settings)) {
    fprintf(stderr, "rill broker: %s\n", error->c_str());
    return 2;
  }
  return std::nullopt;
}

}  // namespace rill::broker
