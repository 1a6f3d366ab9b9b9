// tcp_server: one shard's share of a TCP service: its SO_REUSEPORT listener,
// its provided-buffer ring and the connections it accepted.
//
// Each accepted connection is served by one coroutine running the handler
// on this shard. On a runtime stop (or on stop(), see stop_with_shard) the
// server stops accepting and shuts the read side of every connection: handlers finish the requests
// they already read, answer them, and return; the shard's drain waits for that.
//
// Owned by per-shard application state on the shard's thread; destroy it
// only after stop() completed (the runtime's at_exit hooks are the place).
#pragma once

#include <functional>
#include <memory>
#include <unordered_set>

#include "base/result.h"
#include "base/task.h"
#include "platform/net/provided_buffer_ring.h"
#include "platform/net/tcp_connection.h"
#include "platform/net/tcp_listener.h"
#include "platform/runtime/shard.h"

namespace rill::net {

struct tcp_server_options {
  listener_options listen;
  buffer_ring_options buffers;
  connection_options connection;
  uint32_t connections_max = 10000;
  // off: the owner calls stop() itself, at the point of its own stop
  // sequence where clients should stop being served.
  bool stop_with_shard = true;
};

class tcp_server {
 public:
  using handler_fn = std::function<task<void>(tcp_connection&)>;

  tcp_server(runtime::shard& s, tcp_server_options options, handler_fn handler);
  tcp_server(const tcp_server&) = delete;
  tcp_server& operator=(const tcp_server&) = delete;

  // Opens the listener and starts accepting; stops on the runtime's stop.
  [[nodiscard]] net_errc start();
  uint16_t port() const { return listener_ ? listener_->port() : 0; }
  size_t connection_count() const { return live_.size(); }
  // Bytes received and sent (zero-copy and copied) by every connection
  // this server has closed so far plus the live ones.
  connection_counters counters() const;
  task<void> stop();

 private:
  task<void> serve(int fd);

  runtime::shard* shard_;
  tcp_server_options options_;
  handler_fn handler_;
  std::unique_ptr<provided_buffer_ring> buffers_;
  std::unique_ptr<tcp_listener> listener_;
  std::unordered_set<tcp_connection*> live_;
  bool stopped_ = false;
  connection_counters closed_totals_;
};

}  // namespace rill::net
