#include "dataplane/broker/broker_metrics.h"

#include <algorithm>
#include <map>

#include "base/assert.h"
#include "base/prometheus.h"
#include "dataplane/kafka/protocol.h"
#include "platform/runtime/clock.h"

namespace rill::broker {

shard_metrics collect_shard_metrics(runtime::shard& s, const shard_parts& parts) {
  RILL_ASSERT(runtime::shard::current() == &s, "metrics of shard %u collected off its thread",
              s.id().value());
  shard_metrics m;
  m.shard = s.id().value();
  m.loop = s.stats();
  m.uptime_ns = runtime::monotonic_ns() - m.loop.started_ns;
  m.requests = kafka::request_stats::local();
  if (parts.server != nullptr) {
    m.network = parts.server->counters();
    m.connections = parts.server->connection_count();
  }
  if (parts.state != nullptr) {
    m.disk = parts.state->disk_stats();
    m.replication = parts.state->counters();
    int64_t now_ms = partition::steady_clock_ms();
    parts.state->for_each_replica([&](const partition::partition_replica& r) {
      m.partitions.push_back({r.topic(), r.index(), r.report(now_ms)});
    });
  }
  if (parts.coordinator != nullptr) m.groups = parts.coordinator->report();
  if (parts.transactions != nullptr) m.transactions = parts.transactions->report();
  if (parts.dpdk != nullptr) {
    m.dpdk = parts.dpdk->counters();
    m.dpdk_link = parts.dpdk->link().counters();
  }
  return m;
}

namespace {

using partition::replica_role;

metric_labels partition_labels(const partition_row& p) {
  return {{"topic", p.topic}, {"partition", std::to_string(p.partition)}};
}

bool replica_offline(const partition::replica_report& r) {
  return r.role == replica_role::offline || r.health != partition::log_health::healthy;
}

bool under_replicated(const partition::replica_report& r) {
  return r.role == replica_role::leader && r.isr < r.replicas;
}

bool under_min_isr(const partition::replica_report& r) {
  return r.role == replica_role::leader &&
         r.isr < static_cast<size_t>(std::max(1, r.min_insync_replicas));
}

// One gauge per partition replica, from a field of its report.
template <typename F>
void partition_gauge(prometheus_text& out, const std::vector<const partition_row*>& rows,
                     const char* name, const char* help, F value) {
  out.family(name, metric_type::gauge, help);
  for (const partition_row* p : rows) {
    out.sample(name, partition_labels(*p), static_cast<double>(value(p->replica)));
  }
}

void render_partitions(prometheus_text& out, const std::vector<const partition_row*>& rows) {
  partition_gauge(out, rows, "rill_partition_log_start_offset", "first offset of the replica's log",
                  [](auto& r) { return r.log_start_offset; });
  partition_gauge(out, rows, "rill_partition_log_end_offset",
                  "offset the replica's next record gets (LogEndOffset)",
                  [](auto& r) { return r.log_end_offset; });
  partition_gauge(out, rows, "rill_partition_high_watermark",
                  "high watermark as this replica knows it",
                  [](auto& r) { return r.high_watermark; });
  partition_gauge(out, rows, "rill_partition_last_stable_offset",
                  "the first offset of the oldest undecided transaction, else the high watermark "
                  "(read_committed consumers read below it)",
                  [](auto& r) { return r.last_stable_offset; });
  partition_gauge(out, rows, "rill_partition_open_transactions",
                  "producers with a transaction open in the partition",
                  [](auto& r) { return r.open_transactions; });
  partition_gauge(out, rows, "rill_partition_size_bytes", "bytes of the replica's log segments",
                  [](auto& r) { return r.size_bytes; });
  partition_gauge(out, rows, "rill_partition_replicas", "assigned replicas",
                  [](auto& r) { return r.replicas; });
  partition_gauge(out, rows, "rill_partition_isr_size", "in-sync replicas (InSyncReplicasCount)",
                  [](auto& r) { return r.isr; });
  partition_gauge(out, rows, "rill_partition_leader", "1 when this broker leads the partition",
                  [](auto& r) { return r.role == replica_role::leader ? 1 : 0; });
  partition_gauge(out, rows, "rill_partition_leader_id", "the leader's broker id (-1: none)",
                  [](auto& r) { return r.leader_id; });
  partition_gauge(out, rows, "rill_partition_leader_epoch", "the leader epoch",
                  [](auto& r) { return r.leader_epoch; });
  partition_gauge(out, rows, "rill_partition_under_replicated",
                  "1 when this broker leads it and the ISR is smaller than the replica set "
                  "(UnderReplicated)",
                  [](auto& r) { return under_replicated(r) ? 1 : 0; });
  partition_gauge(out, rows, "rill_partition_under_min_isr",
                  "1 when this broker leads it and the ISR is below min.insync.replicas "
                  "(UnderMinIsr)",
                  [](auto& r) { return under_min_isr(r) ? 1 : 0; });
  partition_gauge(out, rows, "rill_partition_offline",
                  "1 when this replica neither leads nor follows, or its log failed",
                  [](auto& r) { return replica_offline(r) ? 1 : 0; });
  const char* lag_records = "rill_partition_follower_lag_records";
  const char* lag_seconds = "rill_partition_follower_lag_seconds";
  out.family(lag_records, metric_type::gauge,
             "records a follower trails the leader's log end, on the leader (-1: never fetched)");
  for (const partition_row* p : rows) {
    for (const auto& f : p->replica.followers) {
      metric_labels l = partition_labels(*p);
      l.emplace_back("follower", std::to_string(f.broker));
      out.sample(lag_records, l, static_cast<double>(f.records));
    }
  }
  out.family(lag_seconds, metric_type::gauge,
             "seconds since a follower last caught up with the leader, on the leader");
  for (const partition_row* p : rows) {
    for (const auto& f : p->replica.followers) {
      metric_labels l = partition_labels(*p);
      l.emplace_back("follower", std::to_string(f.broker));
      out.sample(lag_seconds, l, static_cast<double>(f.since_caught_up_ms) / 1000.0);
    }
  }
}

void render_broker_partitions(prometheus_text& out, const std::vector<const partition_row*>& rows) {
  size_t leaders = 0, urp = 0, under_min = 0, offline = 0;
  int64_t max_lag = 0;
  for (const partition_row* p : rows) {
    const auto& r = p->replica;
    if (r.role == replica_role::leader) ++leaders;
    if (under_replicated(r)) ++urp;
    if (under_min_isr(r)) ++under_min;
    if (replica_offline(r)) ++offline;
    for (const auto& f : r.followers) max_lag = std::max(max_lag, f.records);
  }
  auto gauge = [&](const char* name, const char* help, double v) {
    out.family(name, metric_type::gauge, help);
    out.sample(name, {}, v);
  };
  gauge("rill_broker_partitions", "partition replicas on this broker (PartitionCount)",
        static_cast<double>(rows.size()));
  gauge("rill_broker_leader_partitions", "partitions this broker leads (LeaderCount)",
        static_cast<double>(leaders));
  gauge("rill_broker_under_replicated_partitions",
        "led partitions whose ISR is smaller than their replica set (UnderReplicatedPartitions)",
        static_cast<double>(urp));
  gauge("rill_broker_under_min_isr_partitions",
        "led partitions whose ISR is below min.insync.replicas (UnderMinIsrPartitionCount)",
        static_cast<double>(under_min));
  gauge("rill_broker_offline_replicas",
        "replicas here that neither lead nor follow, or whose log failed (OfflineReplicaCount)",
        static_cast<double>(offline));
  gauge("rill_broker_max_follower_lag_records",
        "the largest follower lag in records over the partitions led here (MaxLag)",
        static_cast<double>(max_lag));
}

void render_requests(prometheus_text& out, const std::vector<shard_metrics>& shards) {
  std::map<int16_t, kafka::api_request_stats> by_api;
  for (const shard_metrics& m : shards) {
    for (int16_t k = 0; k < kafka::request_stats::k_api_keys_max; ++k) {
      const kafka::api_request_stats& a = m.requests.of(k);
      if (a.requests == 0) continue;
      kafka::api_request_stats& t = by_api[k];
      t.requests += a.requests;
      t.malformed += a.malformed;
      t.request_bytes += a.request_bytes;
      t.latency.merge(a.latency);
    }
  }
  auto api = [](int16_t k) { return metric_labels{{"api", kafka::api_name(k)}}; };
  out.family("rill_kafka_requests_total", metric_type::counter,
             "Kafka requests served, by API (RequestsPerSec)");
  for (const auto& [k, t] : by_api) {
    out.sample("rill_kafka_requests_total", api(k), static_cast<double>(t.requests));
  }
  out.family("rill_kafka_malformed_requests_total", metric_type::counter,
             "requests that could not be decoded (the connection was closed)");
  for (const auto& [k, t] : by_api) {
    out.sample("rill_kafka_malformed_requests_total", api(k), static_cast<double>(t.malformed));
  }
  out.family("rill_kafka_request_bytes_total", metric_type::counter,
             "bytes of Kafka request frames, by API");
  for (const auto& [k, t] : by_api) {
    out.sample("rill_kafka_request_bytes_total", api(k), static_cast<double>(t.request_bytes));
  }
  out.family("rill_kafka_request_duration_seconds", metric_type::histogram,
             "from a request's frame read to its response ready, by API (TotalTimeMs)");
  for (const auto& [k, t] : by_api) {
    out.histogram("rill_kafka_request_duration_seconds", api(k), t.latency);
  }
}

// The DPDK replication transport (zeros on tcp, so the families always exist).
void render_dpdk(prometheus_text& out, const std::vector<shard_metrics>& shards) {
  bypass::endpoint_counters c;
  bypass::link_counters l;
  for (const shard_metrics& m : shards) {
    if (m.dpdk_link.frames_sent + m.dpdk_link.frames_received + m.dpdk.connections_opened +
            m.dpdk.connections_accepted ==
        0) {
      continue;
    }
    c = m.dpdk;  // one shard (0) runs the transport
    l = m.dpdk_link;
  }
  auto sample = [&](const char* name, const char* label, const char* value, uint64_t v) {
    out.sample(name, metric_labels{{label, value}}, static_cast<double>(v));
  };
  const char* bytes = "rill_replication_dpdk_bytes_total";
  out.family(bytes, metric_type::counter,
             "replication stream bytes over DPDK: sent first, resent, received in order, "
             "received again");
  sample(bytes, "kind", "sent", c.streams.bytes_sent);
  sample(bytes, "kind", "retransmitted", c.streams.bytes_retransmitted);
  sample(bytes, "kind", "received", c.streams.bytes_received);
  sample(bytes, "kind", "duplicate", c.streams.duplicate_bytes);
  const char* recoveries = "rill_replication_dpdk_recoveries_total";
  out.family(recoveries, metric_type::counter,
             "losses repaired: from a hole the receiver named, or after the retransmission timer");
  sample(recoveries, "trigger", "hole", c.streams.fast_retransmits);
  sample(recoveries, "trigger", "timeout", c.streams.timeouts);
  const char* frames = "rill_replication_dpdk_frames_total";
  out.family(frames, metric_type::counter, "Ethernet frames on the DPDK ports");
  sample(frames, "kind", "sent", l.frames_sent);
  sample(frames, "kind", "received", l.frames_received);
  sample(frames, "kind", "dropped_on_send", l.frames_dropped_on_send);
  sample(frames, "kind", "invalid", c.segments_invalid);
  const char* payload = "rill_replication_dpdk_payload_sent_bytes_total";
  out.family(payload, metric_type::counter,
             "payload handed to the device: attached by reference, or copied first");
  sample(payload, "mode", "by_reference", l.payload_bytes_sent_by_reference);
  sample(payload, "mode", "copied", l.payload_bytes_copied_on_send);
  const char* connections = "rill_replication_dpdk_connections_total";
  out.family(connections, metric_type::counter, "DPDK transport connections opened and accepted");
  sample(connections, "side", "opened", c.connections_opened);
  sample(connections, "side", "accepted", c.connections_accepted);
}

void render_io(prometheus_text& out, const std::vector<shard_metrics>& shards) {
  storage::disk_stats disk;
  net::connection_counters net{};
  size_t connections = 0;
  partition::replication_counters rep;
  for (const shard_metrics& m : shards) {
    disk.write_latency.merge(m.disk.write_latency);
    disk.sync_latency.merge(m.disk.sync_latency);
    disk.bytes_written += m.disk.bytes_written;
    disk.bytes_read += m.disk.bytes_read;
    disk.errors += m.disk.errors;
    net.bytes_received += m.network.bytes_received;
    net.bytes_sent_copied += m.network.bytes_sent_copied;
    net.bytes_sent_zero_copy += m.network.bytes_sent_zero_copy;
    connections += m.connections;
    rep.isr_shrinks += m.replication.isr_shrinks;
    rep.isr_expands += m.replication.isr_expands;
    rep.isr_changes_refused += m.replication.isr_changes_refused;
  }
  auto counter = [&](const char* name, const char* help, uint64_t v) {
    out.family(name, metric_type::counter, help);
    out.sample(name, {}, static_cast<double>(v));
  };
  counter("rill_network_received_bytes_total", "bytes read from Kafka clients and followers",
          net.bytes_received);
  out.family("rill_network_sent_bytes_total", metric_type::counter,
             "bytes sent to Kafka clients and followers, by how (BytesOutPerSec)");
  out.sample("rill_network_sent_bytes_total", {{"mode", "zero_copy"}},
             static_cast<double>(net.bytes_sent_zero_copy));
  out.sample("rill_network_sent_bytes_total", {{"mode", "copied"}},
             static_cast<double>(net.bytes_sent_copied));
  out.family("rill_network_connections", metric_type::gauge, "open Kafka connections");
  out.sample("rill_network_connections", {}, static_cast<double>(connections));
  counter("rill_isr_shrinks_total", "ISR shrinks the controller accepted (IsrShrinksPerSec)",
          rep.isr_shrinks);
  counter("rill_isr_expands_total", "ISR expansions the controller accepted (IsrExpandsPerSec)",
          rep.isr_expands);
  counter("rill_isr_changes_refused_total", "ISR changes the controller refused or missed",
          rep.isr_changes_refused);
  counter("rill_disk_written_bytes_total", "bytes written to log files", disk.bytes_written);
  counter("rill_disk_read_bytes_total", "bytes read from log files", disk.bytes_read);
  counter("rill_disk_errors_total", "failed disk writes, reads and syncs", disk.errors);
  out.family("rill_disk_write_seconds", metric_type::histogram,
             "latency of a log write (LogFlushRateAndTimeMs covers syncs)");
  out.histogram("rill_disk_write_seconds", {}, disk.write_latency);
  out.family("rill_disk_sync_seconds", metric_type::histogram,
             "latency of an fdatasync, or of a chained write+fdatasync (LogFlushRateAndTimeMs)");
  out.histogram("rill_disk_sync_seconds", {}, disk.sync_latency);
}

void render_shards(prometheus_text& out, const std::vector<shard_metrics>& shards) {
  auto per_shard = [&](const char* name, metric_type type, const char* help, auto value) {
    out.family(name, type, help);
    for (const shard_metrics& m : shards) {
      out.sample(name, {{"shard", std::to_string(m.shard)}}, static_cast<double>(value(m)));
    }
  };
  per_shard("rill_shard_busy_seconds_total", metric_type::counter,
            "time a shard's loop spent not blocked waiting for I/O or timers", [](auto& m) {
              return static_cast<double>(m.uptime_ns - std::min(m.uptime_ns, m.loop.waiting_ns)) /
                     1e9;
            });
  per_shard("rill_shard_uptime_seconds_total", metric_type::counter,
            "time since the shard's loop began",
            [](auto& m) { return static_cast<double>(m.uptime_ns) / 1e9; });
  per_shard("rill_uring_submit_calls_total", metric_type::counter,
            "io_uring_enter calls that submitted", [](auto& m) { return m.loop.submit_calls; });
  per_shard("rill_uring_sqes_submitted_total", metric_type::counter,
            "submission queue entries the kernel took",
            [](auto& m) { return m.loop.sqes_submitted; });
  per_shard("rill_uring_cqes_reaped_total", metric_type::counter, "completions reaped",
            [](auto& m) { return m.loop.cqes_reaped; });
  per_shard("rill_uring_ops_in_flight", metric_type::gauge,
            "single-shot io_uring operations awaiting completion (queue depth)",
            [](auto& m) { return m.loop.ops_in_flight; });
}

void render_groups(prometheus_text& out, const std::vector<shard_metrics>& shards,
                   const std::vector<const partition_row*>& rows) {
  std::map<std::pair<std::string, int32_t>, int64_t> high_watermarks;
  for (const partition_row* p : rows) {
    if (p->replica.role != replica_role::offline) {
      high_watermarks[{p->topic, p->partition}] = p->replica.high_watermark;
    }
  }
  std::vector<const group::group_report*> groups;
  for (const shard_metrics& m : shards) {
    for (const auto& g : m.groups) groups.push_back(&g);
  }
  out.family("rill_group_members", metric_type::gauge,
             "members of a group this broker coordinates");
  for (const auto* g : groups) {
    out.sample("rill_group_members", {{"group", g->group_id}}, static_cast<double>(g->members));
  }
  out.family("rill_group_generation", metric_type::gauge, "a group's generation");
  for (const auto* g : groups) {
    out.sample("rill_group_generation", {{"group", g->group_id}},
               static_cast<double>(g->generation));
  }
  out.family("rill_group_state", metric_type::gauge, "1 for the state a group is in");
  for (const auto* g : groups) {
    out.sample("rill_group_state",
               {{"group", g->group_id}, {"state", group::group_state_name(g->state)}}, 1);
  }
  out.family("rill_group_committed_offset", metric_type::gauge, "a group's committed offset");
  out.family("rill_group_lag_records", metric_type::gauge,
             "high watermark minus committed offset, where this broker holds the partition");
  for (const auto* g : groups) {
    for (const auto& [tp, o] : g->offsets) {
      metric_labels l{
          {"group", g->group_id}, {"topic", tp.first}, {"partition", std::to_string(tp.second)}};
      out.sample("rill_group_committed_offset", l, static_cast<double>(o.offset));
    }
  }
  for (const auto* g : groups) {
    for (const auto& [tp, o] : g->offsets) {
      auto hw = high_watermarks.find(tp);
      if (hw == high_watermarks.end() || o.offset < 0) continue;
      metric_labels l{
          {"group", g->group_id}, {"topic", tp.first}, {"partition", std::to_string(tp.second)}};
      out.sample("rill_group_lag_records", l,
                 static_cast<double>(std::max<int64_t>(0, hw->second - o.offset)));
    }
  }
}

void render_transactions(prometheus_text& out, const std::vector<shard_metrics>& shards) {
  std::vector<size_t> ids(static_cast<size_t>(transaction::txn_status::prepare_epoch_fence) + 1, 0);
  transaction::txn_counters sum;
  for (const shard_metrics& m : shards) {
    const transaction::txn_report& t = m.transactions;
    for (size_t i = 0; i < t.ids_by_status.size() && i < ids.size(); ++i)
      ids[i] += t.ids_by_status[i];
    sum.committed += t.counters.committed;
    sum.aborted += t.counters.aborted;
    sum.timed_out += t.counters.timed_out;
    sum.marker_rounds_retried += t.counters.marker_rounds_retried;
  }
  out.family("rill_txn_ids", metric_type::gauge,
             "transactional ids this broker coordinates, by state");
  for (size_t i = 0; i < ids.size(); ++i) {
    auto status = static_cast<transaction::txn_status>(i);
    out.sample("rill_txn_ids", {{"state", transaction::txn_status_name(status)}},
               static_cast<double>(ids[i]));
  }
  out.family("rill_txn_completed_total", metric_type::counter,
             "transactions this broker's coordinator completed, by outcome");
  out.sample("rill_txn_completed_total", {{"result", "commit"}},
             static_cast<double>(sum.committed));
  out.sample("rill_txn_completed_total", {{"result", "abort"}}, static_cast<double>(sum.aborted));
  out.family("rill_txn_timed_out_total", metric_type::counter,
             "transactions the coordinator aborted past their transaction.timeout.ms");
  out.sample("rill_txn_timed_out_total", {}, static_cast<double>(sum.timed_out));
  out.family("rill_txn_marker_retries_total", metric_type::counter,
             "rounds of transaction markers that had to be sent again (a leader moving or down)");
  out.sample("rill_txn_marker_retries_total", {}, static_cast<double>(sum.marker_rounds_retried));
}

}  // namespace

std::string render_broker_metrics(int32_t broker_id, const std::vector<shard_metrics>& shards) {
  RILL_ASSERT(!shards.empty(), "a broker has at least one shard");
  prometheus_text out;
  out.family("rill_broker_info", metric_type::gauge, "1, with the broker's id as a label");
  out.sample("rill_broker_info", {{"broker", std::to_string(broker_id)}}, 1);
  std::vector<const partition_row*> rows;
  for (const shard_metrics& m : shards) {
    for (const partition_row& p : m.partitions) rows.push_back(&p);
  }
  std::sort(rows.begin(), rows.end(), [](const partition_row* a, const partition_row* b) {
    return std::tie(a->topic, a->partition) < std::tie(b->topic, b->partition);
  });
  render_broker_partitions(out, rows);
  render_partitions(out, rows);
  render_requests(out, shards);
  render_io(out, shards);
  render_dpdk(out, shards);
  render_shards(out, shards);
  render_groups(out, shards, rows);
  render_transactions(out, shards);
  return out.text();
}

}  // namespace rill::broker
