#include "dataplane/replication/replica_transport.h"

#include "base/assert.h"
#include "base/log.h"
#include "platform/net/framed.h"
#include "platform/net/tcp_connection.h"
#include "platform/net/tcp_listener.h"
#include "platform/runtime/clock.h"
#include "platform/runtime/cross_shard.h"
#include "platform/runtime/uring_op.h"

namespace rill::replication {

stream_replica_transport::stream_replica_transport(stream_connector connect,
                                                   size_t response_bytes_max)
    : connect_(std::move(connect)), response_bytes_max_(response_bytes_max) {
  RILL_ASSERT(connect_ != nullptr && response_bytes_max_ > 0);
}

task<bool> stream_replica_transport::connect() {
  if (stream_ && !stream_->peer_closed()) co_return true;
  co_await close();
  stream_ = co_await connect_();
  co_return stream_ != nullptr;
}

task<std::optional<std::vector<uint8_t>>> stream_replica_transport::round_trip(
    std::vector<uint8_t> request, uint64_t deadline_ns) {
  if (!co_await connect()) co_return std::nullopt;
  std::optional<std::vector<uint8_t>> body = co_await net::round_trip(
      *stream_, request, {.min_bytes = 4, .max_bytes = response_bytes_max_ * 2}, deadline_ns);
  if (!body) co_await close();
  co_return body;
}

void stream_replica_transport::interrupt() {
  if (stream_) stream_->shutdown_read();
}

task<void> stream_replica_transport::close() {
  if (!stream_) co_return;
  std::unique_ptr<net::byte_stream> c = std::move(stream_);
  co_await c->close();
}

std::unique_ptr<replica_transport> make_tcp_replica_transport(runtime::shard& s,
                                                              net::socket_address leader,
                                                              net::provided_buffer_ring* buffers,
                                                              size_t response_bytes_max) {
  auto connect = [&s, leader, buffers,
                  response_bytes_max]() -> task<std::unique_ptr<net::byte_stream>> {
    auto fd = co_await net::tcp_connect(s, leader, 1000 * runtime::k_ns_per_ms);
    if (!fd.ok()) co_return nullptr;
    auto c = std::make_unique<net::tcp_connection>(
        s, fd.value(), buffers,
        net::connection_options{.input_bytes_max = response_bytes_max * 2 + 4096});
    c->start_receiving();
    co_return c;
  };
  return std::make_unique<stream_replica_transport>(std::move(connect), response_bytes_max);
}

remote_shard_transport::remote_shard_transport(runtime::shard& here, runtime::shard_id home,
                                               std::unique_ptr<replica_transport> inner)
    : home_(home), inner_(std::move(inner)) {
  RILL_ASSERT(here.id() != home, "a remote transport on its own home shard");
}

task<std::optional<std::vector<uint8_t>>> remote_shard_transport::round_trip(
    std::vector<uint8_t> request, uint64_t deadline_ns) {
  std::shared_ptr<replica_transport> inner = inner_;
  co_return co_await runtime::submit_to(
      home_, [inner, request = std::move(request), deadline_ns]() mutable {
        return inner->round_trip(std::move(request), deadline_ns);
      });
}

void remote_shard_transport::interrupt() {
  spawn([](runtime::shard_id home, std::shared_ptr<replica_transport> inner) -> task<void> {
    co_await runtime::submit_to(home, [inner] { inner->interrupt(); });
  }(home_, inner_));
}

task<void> remote_shard_transport::close() {
  std::shared_ptr<replica_transport> inner = inner_;
  co_await runtime::submit_to(home_, [inner] { return inner->close(); });
}

faulty_replica_transport::faulty_replica_transport(runtime::shard& s,
                                                   std::unique_ptr<replica_transport> inner,
                                                   transport_faults faults)
    : shard_(&s), inner_(std::move(inner)), faults_(faults), rng_(faults.seed) {
  RILL_WARN(
      "replication", "replication transport faults on: seed %llu, drop %u/1000, delay up to %u ms",
      static_cast<unsigned long long>(faults.seed), faults.drop_per_mille, faults.delay_ms_max);
}

task<std::optional<std::vector<uint8_t>>> faulty_replica_transport::round_trip(
    std::vector<uint8_t> request, uint64_t deadline_ns) {
  if (faults_.delay_ms_max > 0) {
    uint64_t delay = rng_() % (faults_.delay_ms_max + 1);
    co_await runtime::sleep_for(*shard_, delay * runtime::k_ns_per_ms);
  }
  bool drop =
      partitioned_ || (faults_.drop_per_mille > 0 && rng_() % 1000 < faults_.drop_per_mille);
  if (drop) {
    ++dropped_;
    // A dropped exchange costs what a lost packet costs: the caller's wait.
    co_await runtime::sleep_for(*shard_, 20 * runtime::k_ns_per_ms);
    co_return std::nullopt;
  }
  co_return co_await inner_->round_trip(std::move(request), deadline_ns);
}

}  // namespace rill::replication
