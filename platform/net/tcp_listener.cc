#include "platform/net/tcp_listener.h"

#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/assert.h"
#include "base/log.h"
#include "platform/runtime/uring_op.h"

namespace rill::net {

const char* net_errc_name(net_errc e) {
  switch (e) {
    case net_errc::ok:
      return "ok";
    case net_errc::bad_address:
      return "bad address";
    case net_errc::socket_failed:
      return "socket failed";
    case net_errc::bind_failed:
      return "bind failed";
    case net_errc::listen_failed:
      return "listen failed";
    case net_errc::connect_failed:
      return "connect failed";
  }
  return "?";
}

result<std::unique_ptr<tcp_listener>, net_errc> tcp_listener::open(
    runtime::shard& s, const listener_options& options) {
  socket_address addr;
  if (!socket_address::parse(options.host, options.port, &addr)) {
    RILL_ERROR("net", "cannot parse listen address %s", options.host.c_str());
    return net_errc::bad_address;
  }
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return net_errc::socket_failed;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (options.reuse_port) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
  if (bind(fd, reinterpret_cast<const sockaddr*>(&addr.sin), sizeof(addr.sin)) != 0) {
    RILL_ERROR("net", "bind %s: %s", addr.to_string().c_str(), strerror(errno));
    ::close(fd);
    return net_errc::bind_failed;
  }
  if (listen(fd, options.backlog) != 0) {
    RILL_ERROR("net", "listen %s: %s", addr.to_string().c_str(), strerror(errno));
    ::close(fd);
    return net_errc::listen_failed;
  }
  sockaddr_in bound{};
  socklen_t len = sizeof(bound);
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
  return std::unique_ptr<tcp_listener>(new tcp_listener(s, fd, ntohs(bound.sin_port)));
}

tcp_listener::tcp_listener(runtime::shard& s, int fd, uint16_t port)
    : shard_(&s), fd_(fd), port_(port) {
  accept_.owner = this;
  accept_.on_cqe = &tcp_listener::on_accept_cqe;
}

tcp_listener::~tcp_listener() {
  RILL_ASSERT(!armed_, "listener destroyed with an accept in flight; await stop() first");
  if (fd_ >= 0) ::close(fd_);
}

void tcp_listener::start(accept_fn on_accept) {
  RILL_ASSERT(!armed_ && on_accept);
  on_accept_ = std::move(on_accept);
  arm();
}

void tcp_listener::arm() {
  io_uring_sqe* sqe = shard_->get_sqe();
  io_uring_prep_multishot_accept(sqe, fd_, nullptr, nullptr, SOCK_CLOEXEC);
  io_uring_sqe_set_data(sqe, static_cast<runtime::io_completion*>(&accept_));
  armed_ = true;
}

void tcp_listener::on_accept_cqe(runtime::io_completion* self, int32_t res, uint32_t flags) {
  tcp_listener* l = static_cast<accept_completion*>(self)->owner;
  if (res >= 0) {
    int one = 1;
    setsockopt(res, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (l->stopping_) {
      ::close(res);
    } else {
      l->on_accept_(res);
    }
  } else if (res != -ECANCELED) {
    RILL_WARN("net", "accept on port %u failed: %s", l->port_, strerror(-res));
  }
  if ((flags & IORING_CQE_F_MORE) == 0) {
    l->armed_ = false;
    if (!l->stopping_) l->arm();  // The kernel ended the multishot (e.g. EMFILE).
    l->idle_.notify_all();
  }
}

task<void> tcp_listener::stop() {
  stopping_ = true;
  if (armed_) shard_->cancel_io(&accept_);
  while (armed_) co_await idle_.wait(*shard_);
  ::close(fd_);
  fd_ = -1;
}

static bool port_is_free_now(const std::string& host, uint16_t port) {
  // Something accepting connections there means a server; sockets a killed
  // process left behind (TIME_WAIT, FIN_WAIT) do not count.
  socket_address addr;
  if (!socket_address::parse(host == "0.0.0.0" ? std::string("127.0.0.1") : host, port, &addr))
    return false;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  bool listening = connect(fd, reinterpret_cast<const sockaddr*>(&addr.sin), sizeof(addr.sin)) == 0;
  ::close(fd);
  return !listening;
}

bool port_is_free(const std::string& host, uint16_t port) {
  // The listener of a process killed a moment ago can outlive it briefly:
  // io_uring tears a dead process's ring down asynchronously, and a pending
  // multishot accept keeps the socket open until then.
  for (int attempt = 0; attempt < 60; ++attempt) {
    if (port_is_free_now(host, port)) return true;
    usleep(50 * 1000);
  }
  return false;
}

task<result<int, net_errc>> tcp_connect(runtime::shard& s, const socket_address& to,
                                        uint64_t timeout_ns) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) co_return net_errc::socket_failed;
  runtime::uring_op op(s);
  io_uring_prep_connect(op.sqe(), fd, reinterpret_cast<const sockaddr*>(&to.sin), sizeof(to.sin));
  op.with_timeout(timeout_ns);
  int res = co_await op;
  if (res < 0) {
    RILL_DEBUG("net", "connect %s: %s", to.to_string().c_str(), strerror(-res));
    ::close(fd);
    co_return net_errc::connect_failed;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  co_return fd;
}

}  // namespace rill::net
