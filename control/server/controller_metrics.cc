#include "control/server/controller_metrics.h"

#include "base/prometheus.h"

namespace rill::control {

namespace {

struct cluster_counts {
  size_t brokers_alive = 0;
  size_t brokers_fenced = 0;
  size_t topics = 0;
  size_t partitions = 0;
  size_t offline = 0;
  size_t under_replicated = 0;
  size_t not_preferred = 0;
};

cluster_counts count(const cluster_snapshot& s) {
  cluster_counts c;
  for (const auto& [id, b] : s.brokers) ++(b.alive ? c.brokers_alive : c.brokers_fenced);
  c.topics = s.topics.size();
  for (const auto& [name, t] : s.topics) {
    for (const partition_info& p : t.partitions) {
      ++c.partitions;
      if (p.leader < 0) ++c.offline;
      if (p.isr.size() < p.replicas.size()) ++c.under_replicated;
      if (!p.replicas.empty() && p.leader != p.replicas.front()) ++c.not_preferred;
    }
  }
  return c;
}

}  // namespace

std::string render_controller_metrics(const controller_service* service) {
  prometheus_text out;
  auto gauge = [&](const char* name, const char* help, double v) {
    out.family(name, metric_type::gauge, help);
    out.sample(name, {}, v);
  };
  auto counter = [&](const char* name, const char* help, double v) {
    out.family(name, metric_type::counter, help);
    out.sample(name, {}, v);
  };
  gauge("rill_controller_active",
        "1 on the active controller, 0 on a standby (ActiveControllerCount)",
        service != nullptr ? 1 : 0);
  if (service == nullptr) return out.text();
  snapshot_ptr snap = service->snapshot();
  cluster_counts c = count(*snap);
  gauge("rill_controller_metadata_epoch", "epoch of the metadata the controller serves",
        static_cast<double>(snap->epoch));
  gauge("rill_controller_live_brokers", "registered brokers with a live session",
        static_cast<double>(c.brokers_alive));
  gauge("rill_controller_fenced_brokers", "known brokers that are fenced (FencedBrokerCount)",
        static_cast<double>(c.brokers_fenced));
  gauge("rill_controller_topics", "topics (GlobalTopicCount)", static_cast<double>(c.topics));
  gauge("rill_controller_partitions", "partitions (GlobalPartitionCount)",
        static_cast<double>(c.partitions));
  gauge("rill_controller_offline_partitions",
        "partitions without a leader (OfflinePartitionsCount)", static_cast<double>(c.offline));
  gauge("rill_controller_under_replicated_partitions",
        "partitions whose ISR is smaller than their replica set",
        static_cast<double>(c.under_replicated));
  gauge("rill_controller_preferred_replica_imbalance",
        "partitions not led by their preferred replica (PreferredReplicaImbalanceCount)",
        static_cast<double>(c.not_preferred));
  const controller_counters& k = service->counters();
  counter("rill_controller_elections_total",
          "leaderships given to a new live broker (LeaderElectionRateAndTimeMs)",
          static_cast<double>(k.elections));
  counter("rill_controller_partitions_offlined_total",
          "partitions that lost their last leader candidate",
          static_cast<double>(k.partitions_offlined));
  counter("rill_controller_isr_changes_total", "ISR changes accepted from leaders",
          static_cast<double>(k.isr_changes));
  counter("rill_controller_isr_change_requests_total",
          "alter_partitions requests, each carrying the ISR changes a broker had queued",
          static_cast<double>(k.isr_change_requests));
  const metadata_service::store_counters& w = service->store_counters();
  out.family("rill_controller_metadata_writes_total", metric_type::counter,
             "metadata changes stored since start, as a delta or as a whole snapshot");
  out.sample("rill_controller_metadata_writes_total", {{"kind", "delta"}},
             static_cast<double>(w.deltas_appended));
  out.sample("rill_controller_metadata_writes_total", {{"kind", "snapshot"}},
             static_cast<double>(w.snapshots_written));
  counter("rill_controller_metadata_written_bytes_total",
          "bytes of metadata written to the store since start (deltas and snapshots)",
          static_cast<double>(w.bytes_written));
  counter("rill_controller_brokers_fenced_total",
          "broker sessions fenced (expired, closed or shut down)",
          static_cast<double>(k.brokers_fenced));
  return out.text();
}

}  // namespace rill::control
