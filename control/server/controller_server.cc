#include "control/server/controller_server.h"

#include <chrono>
#include <optional>

#include "base/admin_server.h"
#include "base/config.h"
#include "base/host_port.h"
#include "base/log.h"
#include "control/etcd/etcd_leadership.h"
#include "control/server/controller_metrics.h"
#include "platform/net/framed.h"
#include "platform/process/service.h"
#include "platform/runtime/clock.h"
#include "platform/runtime/external_call.h"
#include "platform/runtime/runtime.h"
#include "platform/runtime/uring_op.h"
#include "storage/uring/uring_file_io.h"

namespace rill::control {
namespace {

constexpr uint64_t k_tick_ns = 200 * runtime::k_ns_per_ms;

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

using rpc::encoded;

}  // namespace

controller_server::controller_server(runtime::shard& s, controller_service& service,
                                     net::tcp_server_options options)
    : shard_(&s),
      service_(service),
      server_(s, std::move(options), [this](net::tcp_connection& c) { return serve(c); }) {
  service_.on_change([this] { changed_.notify_all(); });
}

net::net_errc controller_server::start() {
  net::net_errc e = server_.start();
  if (e == net::net_errc::ok) spawn(tick_loop());
  return e;
}

task<void> controller_server::tick_loop() {
  runtime::work_guard guard(*shard_);
  while (!shard_->stopping()) {
    co_await runtime::sleep_for(*shard_, k_tick_ns);
    if (shard_->stopping()) break;
    co_await service_.tick(wall_ms());
  }
}

task<void> controller_server::serve(net::tcp_connection& c) {
  session_binding binding;
  co_await serve_requests(c, &binding);
  if (binding.broker >= 0 && !shard_->stopping()) {
    co_await service_.connection_closed(binding.broker, binding.broker_epoch);
  }
}

task<void> controller_server::serve_requests(net::tcp_connection& c, session_binding* binding) {
  for (;;) {
    net::frame_read f =
        co_await net::read_frame(c, {.min_bytes = 10, .max_bytes = rpc::k_request_bytes_max});
    if (f.error == net::frame_errc::out_of_bounds) {
      RILL_WARN("controller", "closing connection: RPC frame of %lld bytes",
                static_cast<long long>(f.size));
    }
    if (f.error != net::frame_errc::ok) co_return;
    wire_reader in(f.body);
    int16_t key = in.i16();
    (void)in.i16();  // version
    int32_t correlation = in.i32();
    (void)in.nullable_string(false);
    bool ok = in.ok();
    std::vector<uint8_t> body;
    if (ok) body = co_await dispatch(key, in, &ok, binding);
    if (!ok) {
      RILL_WARN("controller", "closing connection: malformed or unknown RPC %d", key);
      co_return;
    }
    if (co_await c.send_all(rpc::frame_response(correlation, body)) != 0) co_return;
  }
}

task<std::vector<uint8_t>> controller_server::dispatch(int16_t key, wire_reader& in, bool* ok,
                                                       session_binding* binding) {
  switch (static_cast<rpc::api>(key)) {
    case rpc::api::register_broker: {
      rpc::register_request req;
      if (!(*ok = rpc::decode(in, &req))) co_return {};
      rpc::register_response resp = co_await service_.register_broker(req, wall_ms());
      if (resp.error == 0) *binding = {req.broker_id, resp.broker_epoch};
      co_return encoded(resp);
    }
    case rpc::api::heartbeat: {
      rpc::heartbeat_request req;
      if (!(*ok = rpc::decode(in, &req))) co_return {};
      rpc::heartbeat_response resp = co_await service_.heartbeat(req, wall_ms());
      if (resp.error == 0) *binding = {req.broker_id, req.broker_epoch};
      co_return encoded(resp);
    }
    case rpc::api::fetch_metadata: {
      rpc::fetch_metadata_request req;
      if (!(*ok = rpc::decode(in, &req))) co_return {};
      uint64_t deadline =
          runtime::monotonic_ns() +
          static_cast<uint64_t>(std::clamp(req.max_wait_ms, 0, 30000)) * runtime::k_ns_per_ms;
      while (service_.metadata_epoch() <= req.known_epoch && runtime::monotonic_ns() < deadline &&
             !shard_->stopping()) {
        (void)co_await changed_.wait_until(*shard_,
                                           std::min(deadline, runtime::monotonic_ns() + k_tick_ns));
      }
      co_return encoded(service_.fetch_metadata(req.known_epoch));
    }
    case rpc::api::create_topics: {
      rpc::create_topics_request req;
      if (!(*ok = rpc::decode(in, &req))) co_return {};
      co_return encoded(co_await service_.create_topics(req));
    }
    case rpc::api::delete_topics: {
      rpc::delete_topics_request req;
      if (!(*ok = rpc::decode(in, &req))) co_return {};
      co_return encoded(co_await service_.delete_topics(req));
    }
    case rpc::api::alter_topic_config: {
      rpc::alter_topic_config_request req;
      if (!(*ok = rpc::decode(in, &req))) co_return {};
      co_return encoded(co_await service_.alter_topic_config(req));
    }
    case rpc::api::allocate_producer_ids: {
      rpc::allocate_producer_ids_request req;
      if (!(*ok = rpc::decode(in, &req))) co_return {};
      co_return encoded(co_await service_.allocate_producer_ids(req));
    }
    case rpc::api::alter_reassignments: {
      rpc::alter_reassignments_request req;
      if (!(*ok = rpc::decode(in, &req))) co_return {};
      co_return encoded(co_await service_.alter_reassignments(req));
    }
    case rpc::api::create_partitions: {
      rpc::create_partitions_request req;
      if (!(*ok = rpc::decode(in, &req))) co_return {};
      co_return encoded(co_await service_.create_partitions(req));
    }
    case rpc::api::alter_partitions: {
      rpc::alter_partitions_request req;
      if (!(*ok = rpc::decode(in, &req))) co_return {};
      co_return encoded(co_await service_.alter_partitions(req));
    }
    case rpc::api::elect_preferred:
      co_return encoded(co_await service_.elect_preferred());
    case rpc::api::report_replica_state: {
      rpc::report_replica_state_request req;
      if (!(*ok = rpc::decode(in, &req))) co_return {};
      co_return encoded(co_await service_.report_replica_state(req));
    }
  }
  *ok = false;
  co_return {};
}

namespace {

config make_controller_config() {
  return config({
      {"listen.host", setting_kind::text, "127.0.0.1", "address the controller binds"},
      {"port", setting_kind::integer, "9190", "controller RPC port", 1, 65535},
      {"admin.host", setting_kind::text, "127.0.0.1",
       "address the admin HTTP endpoint (/metrics, /ready, /live) binds"},
      {"admin.port", setting_kind::integer, "0",
       "port of the admin HTTP endpoint: Prometheus metrics at /metrics, probes at /ready "
       "(200 on the active controller) and /live; 0: no endpoint",
       0, 65535},
      {"data.dir", setting_kind::text, "./data/controller", "metadata store directory"},
      {"cluster.id", setting_kind::text, "rill-cluster", "cluster id"},
      {"session.timeout.ms", setting_kind::integer, "6000",
       "broker fenced after this long without heartbeat", 100, 600000},
      {"auto.leader.rebalance.enable", setting_kind::boolean, "true",
       "move leadership back to preferred replicas"},
      {"leader.imbalance.check.interval.ms", setting_kind::integer, "5000", "how often", 100,
       3600000},
      {"num.partitions", setting_kind::integer, "1", "partitions of topics created without a count",
       1, 10000},
      {"default.replication.factor", setting_kind::integer, "1",
       "replication factor of topics created without one", 1, 16},
      {"replication.factor.max", setting_kind::integer, "16", "largest replication factor accepted",
       1, 16},
      {"log.level",
       setting_kind::choice,
       "info",
       "log level",
       0,
       0,
       {"trace", "debug", "info", "warn", "error"}},
      {"metadata.store",
       setting_kind::choice,
       "embedded",
       "embedded (a file in data.dir) or etcd (standby controllers, one active by etcd lease)",
       0,
       0,
       {"embedded", "etcd"}},
      {"etcd.endpoint", setting_kind::text, "127.0.0.1:2379", "etcd client address host:port"},
      {"etcd.prefix", setting_kind::text, "", "etcd key prefix (default /rill/<cluster.id>)"},
      {"etcd.lease.ttl.s", setting_kind::integer, "2",
       "the active controller's etcd lease: a standby takes over this long after it dies", 1, 60},
  });
}

// With the etcd store: waits (as a standby) until this candidate holds the
// leader key; false when the controller is stopping first.
task<bool> wait_for_leadership(runtime::shard& s, etcd::etcd_leadership& leadership) {
  leadership.start();
  while (!leadership.leading()) {
    if (s.stopping()) co_return false;
    co_await runtime::sleep_for(s, 100 * runtime::k_ns_per_ms);
  }
  co_return true;
}

// Stops the controller once etcd no longer confirms its leadership: a newer
// controller may already be active, and brokers must move to it.
task<void> stop_when_deposed(runtime::shard& s, etcd::etcd_leadership& leadership,
                             std::atomic<int>& failed) {
  while (!s.stopping()) {
    if (leadership.lost()) {
      RILL_ERROR("controller", "deposed: stopping so that the active controller serves alone");
      failed = 1;
      s.owner().request_stop();
      co_return;
    }
    co_await runtime::sleep_for(s, 100 * runtime::k_ns_per_ms);
  }
}

// How long a scrape or probe waits for the controller's shard.
constexpr auto k_admin_wait = std::chrono::milliseconds(2000);

// What fn says of the controller's service (null while a standby), asked
// on the controller's shard from the admin thread.
template <typename T>
std::optional<T> ask_controller(runtime::runtime& rt, controller_service*& active,
                                T (*fn)(const controller_service*)) {
  return runtime::call_from_outside<T>(
      rt, runtime::shard_id(0), [&active, fn]() -> task<T> { co_return fn(active); }, k_admin_wait);
}

// /metrics and the probes, answered from the controller's shard.
std::unique_ptr<admin_server> make_admin_server(const config& c, runtime::runtime& rt,
                                                const std::atomic<bool>& stopping,
                                                controller_service*& active) {
  auto ask = [&rt, &active, &stopping]<typename T>(T (*fn)(const controller_service*)) {
    return stopping.load() ? std::nullopt : ask_controller(rt, active, fn);
  };
  return std::make_unique<admin_server>(
      c.text("admin.host"), static_cast<uint16_t>(c.integer("admin.port")),
      admin_endpoints{
          .metrics =
              [ask] {
                return ask(
                    +[](const controller_service* s) { return render_controller_metrics(s); });
              },
          .ready =
              [ask] {
                return ask(+[](const controller_service* s) { return s != nullptr; })
                    .value_or(false);
              },
          .live =
              [ask] {
                return ask(+[](const controller_service*) { return true; }).value_or(false);
              }});
}

// With etcd: campaigns; true once this controller leads, with its etcd
// store in *store (false if the runtime stops first). Without etcd: true at
// once and *store null (the embedded store is used).
task<bool> become_active(runtime::shard& s, config& c, std::atomic<int>& failed,
                         const std::optional<etcd::endpoint>& etcd_at,
                         etcd::etcd_metadata_store** store) {
  *store = nullptr;
  if (etcd_at) {
    std::string prefix =
        c.text("etcd.prefix").empty() ? "/rill/" + c.text("cluster.id") : c.text("etcd.prefix");
    auto* leadership = new etcd::etcd_leadership(
        *etcd_at, prefix, c.text("listen.host") + ":" + std::to_string(c.integer("port")),
        c.integer("etcd.lease.ttl.s"));
    auto* etcd_store = new etcd::etcd_metadata_store(*leadership);
    *store = etcd_store;
    s.at_exit([leadership, etcd_store] {
      delete etcd_store;
      delete leadership;
    });
    RILL_INFO("controller", "candidate for %s on etcd at %s", leadership->leader_key().c_str(),
              c.text("etcd.endpoint").c_str());
    if (!co_await wait_for_leadership(s, *leadership)) co_return false;
    spawn(stop_when_deposed(s, *leadership, failed));
  }
  co_return true;
}

// Runs this controller: its store, service and RPC server on shard s.
task<void> run_active_controller(runtime::shard& s, config& c, std::atomic<int>& failed,
                                 const std::optional<etcd::endpoint>& etcd_at,
                                 controller_service*& active) {
  etcd::etcd_metadata_store* etcd_store = nullptr;
  if (!co_await become_active(s, c, failed, etcd_at, &etcd_store)) co_return;
  auto* io = new storage::uring_file_io(s);
  auto* store = new metadata_service(
      *io,
      {.dir = c.text("data.dir"),
       .cluster_id = c.text("cluster.id"),
       .default_partitions = static_cast<int32_t>(c.integer("num.partitions")),
       .default_replication_factor = static_cast<int32_t>(c.integer("default.replication.factor")),
       .replication_factor_max = static_cast<int32_t>(c.integer("replication.factor.max")),
       .store = etcd_store});
  s.at_exit([io, store] {
    delete store;
    delete io;
  });
  if (co_await store->load() != topic_errc::ok) {
    RILL_ERROR("controller", "cannot load the metadata store in %s", c.text("data.dir").c_str());
    failed = 1;
    s.owner().request_stop();
    co_return;
  }
  auto* service = new controller_service(
      *store,
      {.session_timeout_ms = c.integer("session.timeout.ms"),
       .auto_preferred_election = c.boolean("auto.leader.rebalance.enable"),
       .preferred_check_interval_ms = c.integer("leader.imbalance.check.interval.ms")},
      wall_ms());
  auto* server =
      new controller_server(s, *service,
                            {.listen = {.host = c.text("listen.host"),
                                        .port = static_cast<uint16_t>(c.integer("port"))}});
  s.at_exit([service, server, &active] {
    active = nullptr;
    delete server;
    delete service;
  });
  if (server->start() != net::net_errc::ok) {
    RILL_ERROR("controller", "cannot listen on %s:%lld", c.text("listen.host").c_str(),
               static_cast<long long>(c.integer("port")));
    failed = 1;
    s.owner().request_stop();
    co_return;
  }
  active = service;
  RILL_INFO("controller", "controller ready on %s:%u, store in %s (metadata epoch %lld)",
            c.text("listen.host").c_str(), server->port(), c.text("data.dir").c_str(),
            static_cast<long long>(service->metadata_epoch()));
}

}  // namespace

int run_controller(const std::vector<std::string>& args) {
  const process::service_identity identity{
      .command = "rill controller", .role = "controller", .summary = "Runs the Rill controller."};
  config c = make_controller_config();
  if (auto code = process::parse_service_command_line(identity, c, args)) return *code;
  // Empty: the embedded store.
  std::optional<etcd::endpoint> etcd_endpoint;
  if (c.text("metadata.store") == "etcd" &&
      !parse_host_port(c.text("etcd.endpoint"), &etcd_endpoint.emplace())) {
    fprintf(stderr, "rill controller: etcd.endpoint '%s' is not host:port\n",
            c.text("etcd.endpoint").c_str());
    return 2;
  }
  log_level level{};
  parse_log_level(c.text("log.level"), &level);
  set_log_level(level);
  process::service service(identity);  // before any thread starts
  if (!service.claim_port(c.text("listen.host"), static_cast<uint16_t>(c.integer("port")))) {
    return 1;
  }
  runtime::runtime rt({.shard_count = 1, .pin_threads = false});
  std::atomic<int> failed{0};
  std::atomic<bool> stopping{false};
  // Set and read only on the shard: null until this controller is active.
  controller_service* active = nullptr;
  std::unique_ptr<admin_server> admin;
  if (c.integer("admin.port") != 0) {
    admin = make_admin_server(c, rt, stopping, active);
    if (!admin->start()) return 1;
  }
  rt.start([&](runtime::shard& s) {
    spawn(run_active_controller(s, c, failed, etcd_endpoint, active));
  });
  service.run_until_stopped(rt, stopping);
  if (admin) admin->stop();
  return service.exit_code(failed.load() != 0);
}

}  // namespace rill::control
