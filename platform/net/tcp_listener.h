// tcp_listener: a listening socket on one shard with a multishot accept.
//
// Every shard of a process opens its own listener on the same port with
// SO_REUSEPORT, so the kernel spreads incoming connections over the shards
// and no connection ever crosses cores. Owned by the shard's tcp_server;
// stop() must be awaited before destruction (it waits for the final CQE).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/result.h"
#include "base/task.h"
#include "platform/net/socket_address.h"
#include "platform/runtime/io_completion.h"
#include "platform/runtime/shard.h"
#include "platform/runtime/wait_queue.h"

namespace rill::net {

enum class net_errc {
  ok = 0,
  bad_address,
  socket_failed,
  bind_failed,
  listen_failed,
  connect_failed
};
const char* net_errc_name(net_errc e);

struct listener_options {
  std::string host = "127.0.0.1";
  uint16_t port = 0;  // 0: let the kernel pick (tests).
  int backlog = 1024;
  bool reuse_port = true;
};

class tcp_listener {
 public:
  using accept_fn = std::function<void(int fd)>;

  static result<std::unique_ptr<tcp_listener>, net_errc> open(runtime::shard& s,
                                                              const listener_options& options);
  ~tcp_listener();
  tcp_listener(const tcp_listener&) = delete;
  tcp_listener& operator=(const tcp_listener&) = delete;

  uint16_t port() const { return port_; }
  void start(accept_fn on_accept);
  task<void> stop();

 private:
  tcp_listener(runtime::shard& s, int fd, uint16_t port);
  struct accept_completion : runtime::io_completion {
    tcp_listener* owner;
  };
  static void on_accept_cqe(runtime::io_completion* self, int32_t res, uint32_t flags);
  void arm();

  runtime::shard* shard_;
  int fd_;
  uint16_t port_;
  accept_fn on_accept_;
  accept_completion accept_{};
  bool armed_ = false;
  bool stopping_ = false;
  runtime::wait_queue idle_;
};

// Whether no server accepts connections on host:port. SO_REUSEPORT would
// let a second process silently share a port with a running one, so
// programs check before their shards bind.
bool port_is_free(const std::string& host, uint16_t port);

// Connects to host:port through io_uring. Returns the socket fd.
task<result<int, net_errc>> tcp_connect(runtime::shard& s, const socket_address& to,
                                        uint64_t timeout_ns);

}  // namespace rill::net
