#include "dataplane/broker/broker.h"

#include <signal.h>

#include <atomic>
#include <memory>
#include <thread>

#include "base/log.h"
#include "dataplane/kafka/kafka_connection.h"
#include "dataplane/net/tcp_server.h"
#include "dataplane/partition/broker_context.h"
#include "dataplane/partition/shard_state.h"
#include "dataplane/runtime/cross_shard.h"
#include "dataplane/runtime/runtime.h"
#include "dataplane/runtime/uring_op.h"

#if defined(RILL_WITH_MIMALLOC)
#include <mimalloc.h>
#endif

namespace rill::broker {
namespace {

// Stops the shard's partitions once only this task is in flight (every
// connection drained), or when the drain deadline takes over.
task<void> close_partitions_when_drained(runtime::shard& s) {
  runtime::work_guard guard(s);
  while (s.in_flight() > 1) co_await runtime::sleep_for(s, 5 * runtime::k_ns_per_ms);
  co_await partition::shard_state::local().shutdown();
}

void start_shard(runtime::shard& s, const partition::broker_settings& settings,
                 partition::broker_context& context, std::atomic<int>& failed) {
  auto* state = new partition::shard_state(s, settings);
  if (!settings.controller.empty()) {
    state->set_isr_change_sender([&context](control::rpc::alter_partition_request req) {
      return context.alter_partition(std::move(req));
    });
    state->set_leadership_lease(&context.lease());
  }
  net::tcp_server_options options{
      .listen = {.host = settings.listen_host, .port = static_cast<uint16_t>(settings.port)},
      .connection = {.input_bytes_max = static_cast<size_t>(settings.socket_request_bytes_max) + 4},
      .connections_max = static_cast<uint32_t>(settings.connections_max)};
  auto* server = new net::tcp_server(s, options, [&context](net::tcp_connection& c) {
    return kafka::serve_kafka_connection(c, context);
  });
  s.at_exit([state, server] {
    net::connection_counters c = server->counters();
    RILL_INFO(
        "broker",
        "Kafka traffic: %llu bytes received, %llu bytes sent zero-copy, %llu bytes sent copied",
        static_cast<unsigned long long>(c.bytes_received),
        static_cast<unsigned long long>(c.bytes_sent_zero_copy),
        static_cast<unsigned long long>(c.bytes_sent_copied));
    delete server;
    delete state;
  });
  if (server->start() != net::net_errc::ok) {
    RILL_ERROR("broker", "cannot listen on %s:%d", settings.listen_host.c_str(), settings.port);
    failed = 1;
    s.owner().request_stop();
    return;
  }
  s.on_stop([&s, &context] {
    if (s.id() == runtime::shard_id(0)) {
      spawn([](runtime::shard& s, partition::broker_context& ctx) -> task<void> {
        runtime::work_guard guard(s);
        co_await ctx.stop_metadata();
      }(s, context));
    }
    spawn(close_partitions_when_drained(s));
  });
  state->start_background();
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

}  // namespace

int run_broker(const partition::broker_settings& settings) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // inherited by the shard threads
  signal(SIGPIPE, SIG_IGN);
  log_allocator();
  if (!net::port_is_free(settings.listen_host, static_cast<uint16_t>(settings.port))) {
    RILL_ERROR("broker", "%s:%d is already in use (another broker?); not starting",
               settings.listen_host.c_str(), settings.port);
    return 1;
  }
  RILL_INFO("broker", "broker %d starting: %u shards, Kafka on %s:%d, data in %s",
            settings.broker_id, settings.shards, settings.listen_host.c_str(), settings.port,
            settings.data_dir.c_str());
  runtime::runtime rt({.shard_count = settings.shards, .pin_threads = settings.pin_shards});
  partition::broker_context context(rt, settings);
  std::atomic<int> failed{0};
  rt.start([&](runtime::shard& s) { start_shard(s, settings, context, failed); });
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    RILL_INFO("broker", "received %s: draining and stopping",
              sig == SIGTERM ? "SIGTERM" : "SIGINT");
    rt.request_stop();
  });
  rt.join();
  if (waiter.joinable()) {
    pthread_kill(waiter.native_handle(), SIGTERM);  // release sigwait if we stopped on our own
    waiter.join();
  }
  RILL_INFO("broker", "broker %d stopped", settings.broker_id);
  return failed.load() != 0 ? 1 : 0;
}

}  // namespace rill::broker
