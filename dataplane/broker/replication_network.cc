#include "dataplane/broker/replication_network.h"

#include "base/assert.h"
#include "base/log.h"
#include "dataplane/bypass/dpdk_link.h"
#include "dataplane/kafka/server/kafka_connection.h"
#include "platform/runtime/clock.h"
#include "platform/runtime/uring_op.h"

namespace rill::broker {
namespace {
constexpr uint64_t k_session_drain_ns = 3000 * runtime::k_ns_per_ms;
}  // namespace

std::unique_ptr<replication_network> replication_network::open(
    const partition::broker_settings& settings, std::string* error) {
  bypass::dpdk_link_options options{.eal_args = settings.dpdk.eal_args,
                                    .segment_bytes_max = settings.dpdk.segment_bytes};
  for (const auto& [broker, port] : settings.dpdk.peer_ports) {
    options.peers.push_back({.broker = broker, .port = port});
  }
  std::unique_ptr<bypass::frame_link> link = bypass::open_dpdk_link(options, error);
  if (!link) return nullptr;
  return std::unique_ptr<replication_network>(new replication_network(settings, std::move(link)));
}

replication_network::replication_network(const partition::broker_settings& settings,
                                         std::unique_ptr<bypass::frame_link> link)
    : settings_(&settings), link_(std::move(link)) {}

void replication_network::start(runtime::shard& s, partition::broker_context& context) {
  RILL_ASSERT(link_ != nullptr && endpoint_ == nullptr, "replication network started twice");
  home_ = &s;
  const partition::dpdk_replication_settings& d = settings_->dpdk;
  bypass::endpoint_options options{
      .self = settings_->broker_id,
      .stream = {.segment_bytes_max = d.segment_bytes},
      .send_buffer_bytes_max = 16u << 20,
      // No spinning after work unless asked: on a machine whose cores are
      // shared (brokers, clients), a spinning shard takes time the others
      // need, and latency got worse, not better (bench/sweep, README).
      .polling = {.spin_ns = d.busy_poll ? UINT64_MAX : 0,
                  .idle_sleep_max_ns = d.busy_poll ? 0 : d.idle_sleep_us * runtime::k_ns_per_us}};
  endpoint_ = std::make_unique<bypass::bypass_endpoint>(s, options, std::move(link_));
  // A shard that ends without a stop (a failed start) must still unhook
  // the endpoint from its loop.
  s.at_exit([this] { endpoint_->stop_now(); });
  endpoint_->start([this, &context](std::unique_ptr<bypass::bypass_connection> c) {
    spawn([](std::unique_ptr<bypass::bypass_connection> c, partition::broker_context& context,
             int& served, runtime::shard& s) -> task<void> {
      runtime::work_guard guard(s);
      ++served;
      co_await kafka::serve_kafka_connection(*c, context);
      co_await c->close();
      --served;
    }(std::move(c), context, served_, *home_));
  });
  RILL_INFO("broker",
            "replication transport: dpdk (user-space, %u-byte segments, %s) on shard %u; "
            "clients use TCP",
            endpoint_->link().segment_bytes_max(),
            d.busy_poll ? "busy-polling" : "adaptive polling", s.id().value());
}

task<void> replication_network::stop() {
  if (!endpoint_) co_return;
  co_await endpoint_->stop();
  uint64_t deadline = runtime::monotonic_ns() + k_session_drain_ns;
  while (served_ > 0 && runtime::monotonic_ns() < deadline) {
    co_await runtime::sleep_for(*home_, 5 * runtime::k_ns_per_ms);
  }
  RILL_INFO("broker", "replication transport dpdk at stop: %s", summary().c_str());
}

std::unique_ptr<replication::replica_transport> replication_network::make_transport(
    runtime::shard& s, int32_t leader) {
  RILL_ASSERT(endpoint_ != nullptr, "replication network not started");
  bypass::bypass_endpoint* endpoint = endpoint_.get();
  auto connect = [endpoint, leader]() -> task<std::unique_ptr<net::byte_stream>> {
    co_return co_await endpoint->connect(leader);
  };
  auto here = std::make_unique<replication::stream_replica_transport>(
      std::move(connect), static_cast<size_t>(64) << 20);
  if (&s == home_) return here;
  return std::make_unique<replication::remote_shard_transport>(s, home_->id(), std::move(here));
}

std::string replication_network::summary() const {
  if (!endpoint_) return "not started";
  bypass::endpoint_counters c = endpoint_->counters();
  const bypass::link_counters& l = endpoint_->link().counters();
  char text[640];
  snprintf(text, sizeof(text),
           "%llu bytes sent (%llu retransmitted in %llu segments; %llu fast retransmits, %llu "
           "timeouts), %llu bytes received (%llu duplicate, %llu segments out of order), "
           "%llu frames sent, %llu received, %llu dropped on send; payload %llu bytes sent by "
           "reference, %llu copied; %llu connections opened, %llu accepted, %llu invalid "
           "segments",
           static_cast<unsigned long long>(c.streams.bytes_sent),
           static_cast<unsigned long long>(c.streams.bytes_retransmitted),
           static_cast<unsigned long long>(c.streams.segments_retransmitted),
           static_cast<unsigned long long>(c.streams.fast_retransmits),
           static_cast<unsigned long long>(c.streams.timeouts),
           static_cast<unsigned long long>(c.streams.bytes_received),
           static_cast<unsigned long long>(c.streams.duplicate_bytes),
           static_cast<unsigned long long>(c.streams.out_of_order_segments),
           static_cast<unsigned long long>(l.frames_sent),
           static_cast<unsigned long long>(l.frames_received),
           static_cast<unsigned long long>(l.frames_dropped_on_send),
           static_cast<unsigned long long>(l.payload_bytes_sent_by_reference),
           static_cast<unsigned long long>(l.payload_bytes_copied_on_send),
           static_cast<unsigned long long>(c.connections_opened),
           static_cast<unsigned long long>(c.connections_accepted),
           static_cast<unsigned long long>(c.segments_invalid));
  return text;
}

}  // namespace rill::broker
