#include "dataplane/replication/replica_transport.h"

#include "base/byte_order.h"
#include "base/log.h"
#include "dataplane/net/tcp_listener.h"
#include "dataplane/runtime/clock.h"
#include "dataplane/runtime/uring_op.h"

namespace rill::replication {

tcp_replica_transport::tcp_replica_transport(runtime::shard& s, net::socket_address leader,
                                             net::provided_buffer_ring* buffers,
                                             size_t response_bytes_max)
    : shard_(&s), leader_(leader), buffers_(buffers), response_bytes_max_(response_bytes_max) {}

task<bool> tcp_replica_transport::connect() {
  if (connection_ && !connection_->peer_closed()) co_return true;
  co_await close();
  auto fd = co_await net::tcp_connect(*shard_, leader_, 1000 * runtime::k_ns_per_ms);
  if (!fd.ok()) co_return false;
  connection_ = std::make_unique<net::tcp_connection>(
      *shard_, fd.value(), buffers_,
      net::connection_options{.input_bytes_max = response_bytes_max_ * 2 + 4096});
  connection_->start_receiving();
  co_return true;
}

task<std::optional<std::vector<uint8_t>>> tcp_replica_transport::round_trip(
    std::vector<uint8_t> request, uint64_t deadline_ns) {
  if (!co_await connect()) co_return std::nullopt;
  net::tcp_connection& c = *connection_;
  if (co_await c.send_all(request) != 0 || !co_await c.fill_until(4, deadline_ns)) {
    co_await close();
    co_return std::nullopt;
  }
  size_t size = load_be32(c.input().data());
  if (size < 4 || size > response_bytes_max_ * 2 || !co_await c.fill_until(4 + size, deadline_ns)) {
    co_await close();
    co_return std::nullopt;
  }
  std::vector<uint8_t> body(c.input().begin() + 4,
                            c.input().begin() + 4 + static_cast<std::ptrdiff_t>(size));
  c.consume(4 + size);
  co_return body;
}

void tcp_replica_transport::interrupt() {
  if (connection_) connection_->shutdown_read();
}

task<void> tcp_replica_transport::close() {
  if (!connection_) co_return;
  std::unique_ptr<net::tcp_connection> c = std::move(connection_);
  co_await c->close();
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
