#include "dataplane/broker/broker.h"

#include <sys/resource.h>

#include <atomic>
#include <memory>

#include "base/admin_server.h"
#include "base/log.h"
#include "dataplane/broker/broker_config.h"
#include "dataplane/broker/broker_metrics.h"
#include "dataplane/broker/replication_network.h"
#include "dataplane/group/group_coordinator.h"
#include "dataplane/kafka/handlers/txn_markers.h"
#include "dataplane/kafka/server/kafka_connection.h"
#include "dataplane/node/broker_context.h"
#include "dataplane/node/shard_state.h"
#include "dataplane/transaction/transaction_coordinator.h"
#include "platform/net/tcp_server.h"
#include "platform/process/service.h"
#include "platform/runtime/cross_shard.h"
#include "platform/runtime/external_call.h"
#include "platform/runtime/runtime.h"
#include "platform/runtime/uring_op.h"

#if defined(RILL_WITH_MIMALLOC)
#include <mimalloc.h>
#endif

namespace rill::broker {
namespace {

// How long a stopping shard waits for its connections to answer what they
// read, after its partitions went offline (which ends every wait in them).
constexpr uint64_t k_connection_drain_ns = 3000 * runtime::k_ns_per_ms;

// A shard's stop, in Kafka's order: leadership moves away while clients are
// still served (controlled shutdown, asked by shard 0), then replication
// stops, the listener closes, the partitions go offline and their logs are
// flushed, and the connections answer what they had read.
task<void> stop_shard(runtime::shard& s, partition::broker_context& context,
                      net::tcp_server& server, replication_network* network,
                      kafka::txn_marker_sender& markers) {
  runtime::work_guard guard(s);
  if (s.id() == runtime::shard_id(0)) co_await context.stop_metadata();
  while (!context.metadata_stopped()) co_await runtime::sleep_for(s, 5 * runtime::k_ns_per_ms);
  partition::shard_state& state = partition::shard_state::local();
  co_await state.stop_replication();
  co_await server.stop();
  if (network != nullptr && s.id() == runtime::shard_id(0)) co_await network->stop();
  co_await state.close_partitions();
  co_await markers.close();  // cuts short any WriteTxnMarkers exchange in flight
  co_await transaction::transaction_coordinator::local().stop();
  co_await group::group_coordinator::local().stop();
  uint64_t deadline = runtime::monotonic_ns() + k_connection_drain_ns;
  while (server.connection_count() > 0 && runtime::monotonic_ns() < deadline) {
    co_await runtime::sleep_for(s, 5 * runtime::k_ns_per_ms);
  }
  if (server.connection_count() > 0) {
    RILL_WARN("broker", "%zu connections still open after the partitions closed",
              server.connection_count());
  }
}

group::coordinator_settings coordinator_settings_of(const partition::broker_settings& b) {
  return {.group = {.min_session_timeout_ms = b.group_min_session_timeout_ms,
                    .max_session_timeout_ms = b.group_max_session_timeout_ms,
                    .initial_rebalance_delay_ms = b.group_initial_rebalance_delay_ms,
                    .members_max = b.group_members_max},
          .commit_timeout_ms = b.offsets_commit_timeout_ms,
          .offset_metadata_bytes_max = b.offset_metadata_bytes_max,
          .offsets_retention_ms = b.offsets_retention_ms};
}

transaction::txn_coordinator_settings txn_settings_of(const partition::broker_settings& b,
                                                      partition::broker_context& context,
                                                      kafka::txn_marker_sender& markers) {
  return {.max_timeout_ms = b.txn_max_timeout_ms,
          .abort_check_interval_ms = b.txn_abort_check_interval_ms,
          .write_markers =
              [&markers](transaction::marker_job job) { return markers.write(std::move(job)); },
          .allocate_producer_id = [&context] { return context.allocate_producer_id(); }};
}

void start_shard(runtime::shard& s, const partition::broker_settings& settings,
                 partition::broker_context& context, replication_network* network,
                 std::atomic<int>& failed, shard_parts& parts) {
  auto* state = new partition::shard_state(s, settings);
  if (network != nullptr) {
    if (s.id() == runtime::shard_id(0)) network->start(s, context);
    state->set_transport_factory([network](runtime::shard& on, int32_t leader) {
      return network->make_transport(on, leader);
    });
  }
  auto* coordinator = new group::group_coordinator(s, coordinator_settings_of(settings));
  auto* markers = new kafka::txn_marker_sender(s);
  auto* transactions =
      new transaction::transaction_coordinator(s, txn_settings_of(settings, context, *markers));
  if (!settings.controller.empty()) {
    state->set_isr_change_sender([&context](control::rpc::alter_partition_request req) {
      return context.alter_partition(std::move(req));
    });
    state->set_leadership_lease(&context.lease());
    state->set_replica_state_reporter(
        [&context](std::string topic, int32_t partition, bool offline) {
          return context.report_replica_state(std::move(topic), partition, offline);
        });
  }
  net::tcp_server_options options{
      .listen = {.host = settings.listen_host, .port = static_cast<uint16_t>(settings.port)},
      .connection = {.input_bytes_max = static_cast<size_t>(settings.socket_request_bytes_max) + 4},
      .connections_max = static_cast<uint32_t>(settings.connections_max),
      .stop_with_shard = false};
  auto* server = new net::tcp_server(s, options, [&context](net::tcp_connection& c) {
    return kafka::serve_kafka_connection(c, context);
  });
  parts = {
      .state = state,
      .coordinator = coordinator,
      .transactions = transactions,
      .server = server,
      .dpdk = network != nullptr && s.id() == runtime::shard_id(0) ? network->endpoint() : nullptr};
  s.at_exit([&s, &parts, state, server, coordinator, transactions, markers] {
    parts = {};
    if (s.in_flight() > 0) {
      // The drain timed out (logged by the runtime): work still refers to
      // these, and the process is about to end; leave them.
      RILL_ERROR("broker", "stop did not finish; leaving %lld operations behind",
                 static_cast<long long>(s.in_flight()));
      return;
    }
    net::connection_counters c = server->counters();
    RILL_INFO(
        "broker",
        "Kafka traffic: %llu bytes received, %llu bytes sent zero-copy, %llu bytes sent copied",
        static_cast<unsigned long long>(c.bytes_received),
        static_cast<unsigned long long>(c.bytes_sent_zero_copy),
        static_cast<unsigned long long>(c.bytes_sent_copied));
    delete server;
    delete transactions;
    delete markers;
    delete coordinator;
    delete state;
  });
  if (server->start() != net::net_errc::ok) {
    RILL_ERROR("broker", "cannot listen on %s:%d", settings.listen_host.c_str(), settings.port);
    failed = 1;
    s.owner().request_stop();
    return;
  }
  s.on_stop([&s, &context, server, network, markers] {
    spawn(stop_shard(s, context, *server, network, *markers));
  });
  state->start_background();
  coordinator->start();
  transactions->start();
  if (s.id() == runtime::shard_id(0)) {
    spawn([](partition::broker_context& ctx, partition::shard_state& st,
             std::atomic<int>& failed) -> task<void> {
      if (!co_await ctx.start_metadata(st.io())) {
        RILL_ERROR("broker", "cannot open the metadata store; stopping");
        failed = 1;
        st.shard().owner().request_stop();
      }
    }(context, *state, failed));
  }
}

// Every partition replica holds a file or two open; a broker with
// thousands of them needs the hard limit, not the usual soft 1024.
void raise_open_file_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  rlim_t before = limit.rlim_cur;
  limit.rlim_cur = limit.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &limit) == 0) {
    RILL_INFO("broker", "open files limit raised from %llu to %llu",
              static_cast<unsigned long long>(before),
              static_cast<unsigned long long>(limit.rlim_max));
  }
}

void log_allocator() {
#if defined(RILL_WITH_MIMALLOC)
  void* probe = malloc(64);
  bool overridden = mi_is_in_heap_region(probe);
  free(probe);
  RILL_INFO("broker", "allocator: mimalloc %d (malloc %s)", mi_version(),
            overridden ? "served by mimalloc" : "NOT served by mimalloc");
#else
  RILL_INFO("broker", "allocator: system (sanitizer build)");
#endif
}

// How long a scrape or probe waits for the shards before answering 503.
constexpr auto k_admin_wait = std::chrono::milliseconds(2000);

// Gathers every shard's figures on shard 0 and renders them.
std::optional<std::string> scrape(runtime::runtime& rt, const partition::broker_settings& settings,
                                  std::vector<shard_parts>& parts) {
  return runtime::call_from_outside<std::string>(
      rt, runtime::shard_id(0),
      [&rt, &settings, &parts]() -> task<std::string> {
        runtime::shard& here = *runtime::shard::current();
        runtime::work_guard guard(here);
        std::vector<shard_metrics> shards;
        for (uint32_t i = 0; i < rt.shard_count(); ++i) {
          shards.push_back(co_await runtime::submit_to(runtime::shard_id(i), [&rt, &parts, i] {
            return collect_shard_metrics(rt.shard_at(runtime::shard_id(i)), parts[i]);
          }));
        }
        co_return render_broker_metrics(settings.broker_id, shards);
      },
      k_admin_wait);
}

// Ready: shard 0 has applied a metadata snapshot, holds its registration
// with the controller (when it has one), and the broker is not stopping.
bool ready(runtime::runtime& rt, const partition::broker_context& context,
           const std::atomic<bool>& stopping, std::vector<shard_parts>& parts) {
  if (stopping.load()) return false;
  std::optional<bool> r = runtime::call_from_outside<bool>(
      rt, runtime::shard_id(0),
      [&context, &parts]() -> task<bool> {
        if (parts[0].state == nullptr) co_return false;  // not started, or gone
        control::snapshot_ptr snap = parts[0].state->snapshot();
        bool registered =
            !context.has_controller() || context.lease().valid(runtime::monotonic_ns());
        co_return snap != nullptr && snap->epoch > 0 && registered;
      },
      k_admin_wait);
  return r.value_or(false);
}

// Live: every shard's loop answers a message.
bool live(runtime::runtime& rt) {
  std::optional<bool> r = runtime::call_from_outside<bool>(
      rt, runtime::shard_id(0),
      [&rt]() -> task<bool> {
        runtime::shard& here = *runtime::shard::current();
        runtime::work_guard guard(here);
        for (uint32_t i = 1; i < rt.shard_count(); ++i) {
          co_await runtime::submit_to(runtime::shard_id(i), [] { return true; });
        }
        co_return true;
      },
      k_admin_wait);
  return r.value_or(false);
}

}  // namespace

int run_broker(const partition::broker_settings& settings) {
  process::service service(k_broker_service);  // before any thread starts
  log_allocator();
  if (!service.claim_port(settings.listen_host, static_cast<uint16_t>(settings.port))) return 1;
  RILL_INFO("broker", "broker %d starting: %u shards, Kafka on %s:%d, data in %s",
            settings.broker_id, settings.shards, settings.listen_host.c_str(), settings.port,
            settings.data_dir.c_str());
  RILL_INFO("broker",
            "memory budget %llu MiB (memory.bytes): per shard %llu MiB, of which hot tails %llu "
            "MiB and write staging %llu MiB",
            static_cast<unsigned long long>(settings.memory_bytes >> 20),
            static_cast<unsigned long long>(settings.shard_memory_bytes() >> 20),
            static_cast<unsigned long long>(settings.shard_hot_tail_bytes() >> 20),
            static_cast<unsigned long long>(settings.shard_staging_bytes() >> 20));
  if (!settings.io_profile_summary.empty()) {
    RILL_INFO("broker", "io.profile %s", settings.io_profile_summary.c_str());
  }
  raise_open_file_limit();
  std::unique_ptr<replication_network> network;
  if (settings.transport == partition::replication_transport::dpdk) {
    std::string error;
    network = replication_network::open(settings, &error);
    if (!network) {
      RILL_ERROR("broker", "replication.transport=dpdk: %s; not starting", error.c_str());
      return 1;
    }
  } else {
    RILL_INFO("broker", "replication transport: tcp (io_uring)");
  }
  // The stop sequence bounds each of its steps; the drain bound is a
  // backstop above their sum.
  uint64_t drain_timeout_ms =
      static_cast<uint64_t>(settings.controlled_shutdown_timeout_ms) + 15000;
  runtime::runtime rt({.shard_count = settings.shards,
                       .pin_threads = settings.pin_shards,
                       .ring_entries = settings.uring_entries,
                       .drain_timeout_ms = drain_timeout_ms,
                       .idle_poll_us = settings.shard_idle_poll_us,
                       .sqpoll_idle_ms = settings.uring_sqpoll_idle_ms});
  partition::broker_context context(rt, settings);
  std::atomic<int> failed{0};
  std::atomic<bool> stopping{false};
  std::vector<shard_parts> parts(settings.shards);
  std::unique_ptr<admin_server> admin;
  if (settings.admin_port != 0) {
    admin = std::make_unique<admin_server>(
        settings.admin_host, static_cast<uint16_t>(settings.admin_port),
        admin_endpoints{.metrics = [&]() -> std::optional<std::string> {
                          if (stopping.load()) return std::nullopt;
                          return scrape(rt, settings, parts);
                        },
                        .ready = [&] { return ready(rt, context, stopping, parts); },
                        .live = [&] { return !stopping.load() && live(rt); }});
    if (!admin->start()) return 1;
  }
  rt.start([&](runtime::shard& s) {
    start_shard(s, settings, context, network.get(), failed, parts[s.id().value()]);
  });
  service.run_until_stopped(rt, stopping);  // a stop signal drains the shards first
  if (admin) admin->stop();
  return service.exit_code(failed.load() != 0);
}

}  // namespace rill::broker
