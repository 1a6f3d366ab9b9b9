#include "platform/net/tcp_server.h"

#include <unistd.h>

#include "base/assert.h"
#include "base/log.h"

namespace rill::net {

tcp_server::tcp_server(runtime::shard& s, tcp_server_options options, handler_fn handler)
    : shard_(&s), options_(std::move(options)), handler_(std::move(handler)) {
  RILL_ASSERT(handler_, "tcp_server needs a handler");
}

net_errc tcp_server::start() {
  auto opened = tcp_listener::open(*shard_, options_.listen);
  if (!opened) return opened.error();
  listener_ = std::move(opened).value();
  buffers_ = std::make_unique<provided_buffer_ring>(*shard_, options_.buffers);
  listener_->start([this](int fd) {
    if (live_.size() >= options_.connections_max) {
      RILL_WARN("net", "refusing connection: %zu connections open (connections_max)", live_.size());
      ::close(fd);
      return;
    }
    spawn(serve(fd));
  });
  if (options_.stop_with_shard) shard_->on_stop([this] { spawn(stop()); });
  RILL_DEBUG("net", "listening on %s:%u", options_.listen.host.c_str(), port());
  return net_errc::ok;
}

task<void> tcp_server::serve(int fd) {
  runtime::work_guard guard(*shard_);
  tcp_connection connection(*shard_, fd, buffers_.get(), options_.connection);
  live_.insert(&connection);
  connection.start_receiving();
  co_await handler_(connection);
  live_.erase(&connection);
  co_await connection.close();
  const connection_counters& c = connection.counters();
  closed_totals_.bytes_received += c.bytes_received;
  closed_totals_.bytes_sent_copied += c.bytes_sent_copied;
  closed_totals_.bytes_sent_zero_copy += c.bytes_sent_zero_copy;
}

connection_counters tcp_server::counters() const {
  connection_counters total = closed_totals_;
  for (const tcp_connection* c : live_) {
    total.bytes_received += c->counters().bytes_received;
    total.bytes_sent_copied += c->counters().bytes_sent_copied;
    total.bytes_sent_zero_copy += c->counters().bytes_sent_zero_copy;
  }
  return total;
}

task<void> tcp_server::stop() {
  if (stopped_) co_return;
  stopped_ = true;
  runtime::work_guard guard(*shard_);
  if (listener_) co_await listener_->stop();
  for (tcp_connection* c : live_) c->shutdown_read();
}

}  // namespace rill::net
