#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include "platform/net/tcp_server.h"
#include "platform/runtime/cross_shard.h"
#include "platform/runtime/wait_queue.h"
#include "tests/support/run_on_runtime.h"

namespace rill::net {
namespace {

using runtime::shard;
using runtime::shard_id;

enum class echo_mode { copy, zero_copy };

struct echo_stats {
  std::atomic<int> zero_copy_releases{0};  // bumped by the servers of both shards
};

task<void> echo(tcp_connection& c, echo_mode mode, echo_stats* stats) {
  while (co_await c.fill(1)) {
    std::span<const uint8_t> in = c.input();
    if (mode == echo_mode::copy) {
      std::vector<uint8_t> out(in.begin(), in.end());
      c.consume(in.size());
      if (co_await c.send_all(out) != 0) co_return;
    } else {
      auto* out = new std::vector<uint8_t>(in.begin(), in.end());
      c.consume(in.size());
      int rc = co_await c.send_zero_copy(*out, [out, stats] {
        stats->zero_copy_releases++;
        delete out;
      });
      if (rc != 0) co_return;
    }
  }
}

// Starts an echo server on every shard (same port through SO_REUSEPORT).
task<uint16_t> start_echo_servers(runtime::runtime& rt, echo_mode mode, echo_stats* stats) {
  uint16_t port = 0;
  for (uint32_t i = 0; i < rt.shard_count(); ++i) {
    port = co_await runtime::submit_to(shard_id(i), [port, mode, stats] {
      shard& s = *shard::current();
      auto* server =
          new tcp_server(s, {.listen = {.host = "127.0.0.1", .port = port}},
                         [mode, stats](tcp_connection& c) { return echo(c, mode, stats); });
      EXPECT_EQ(server->start(), net_errc::ok);
      s.at_exit([server] { delete server; });
      return server->port();
    });
  }
  co_return port;
}

task<void> echo_client(shard& s, uint16_t port, int round_trips, int* ok_trips) {
  socket_address addr;
  EXPECT_TRUE(socket_address::parse("127.0.0.1", port, &addr));
  auto fd = co_await tcp_connect(s, addr, 2000 * runtime::k_ns_per_ms);
  EXPECT_TRUE(fd.ok());
  if (!fd.ok()) co_return;
  provided_buffer_ring* none = nullptr;
  tcp_connection c(s, fd.value(), none);
  std::vector<uint8_t> msg(100);
  for (int i = 0; i < round_trips; ++i) {
    for (size_t j = 0; j < msg.size(); ++j) msg[j] = static_cast<uint8_t>(i + j);
    EXPECT_EQ(co_await c.send_all(msg), 0);
    std::vector<uint8_t> got(msg.size());
    size_t have = 0;
    while (have < got.size()) {
      runtime::uring_op op(s);
      io_uring_prep_recv(op.sqe(), c.fd(), got.data() + have, got.size() - have, 0);
      int n = co_await op;
      if (n <= 0) break;
      have += static_cast<size_t>(n);
    }
    if (have == got.size() && got == msg) ++*ok_trips;
  }
  co_await c.close();
}

void run_many_connections(echo_mode mode) {
  static constexpr int k_clients = 64;
  static constexpr int k_round_trips = 20;
  int ok_trips = 0;
  echo_stats stats;
  testing::run_on_runtime({.shard_count = 2}, [&](runtime::runtime& rt) -> task<void> {
    uint16_t port = co_await start_echo_servers(rt, mode, &stats);
    shard& s = *shard::current();
    runtime::wait_queue done_q;
    int done = 0;
    for (int i = 0; i < k_clients; ++i) {
      spawn([](shard& s, uint16_t port, int* ok, int* done, runtime::wait_queue* q) -> task<void> {
        co_await echo_client(s, port, k_round_trips, ok);
        if (++*done == k_clients) q->notify_all();
      }(s, port, &ok_trips, &done, &done_q));
    }
    while (done < k_clients) co_await done_q.wait(s);
  });
  EXPECT_EQ(ok_trips, k_clients * k_round_trips);
  if (mode == echo_mode::zero_copy)
    EXPECT_GE(stats.zero_copy_releases.load(), k_clients * k_round_trips);
}

TEST(tcp_echo, many_concurrent_connections_over_two_shards) {
  run_many_connections(echo_mode::copy);
}

TEST(tcp_echo, zero_copy_sends_release_every_buffer) {
  run_many_connections(echo_mode::zero_copy);
}

TEST(tcp_echo, stop_with_open_connections_closes_them_and_returns) {
  runtime::runtime rt({.shard_count = 2, .pin_threads = false});
  std::atomic<uint16_t> port{0};
  echo_stats stats;
  rt.start([&](shard& s) {
    if (s.id() != shard_id(0)) return;
    auto* server =
        new tcp_server(s, {.listen = {.host = "127.0.0.1", .port = 0}},
                       [&](tcp_connection& c) { return echo(c, echo_mode::copy, &stats); });
    EXPECT_EQ(server->start(), net_errc::ok);
    s.at_exit([server] { delete server; });
    port = server->port();
  });
  while (port.load() == 0) std::this_thread::yield();
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port.load());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(write(fd, "ping", 4), 4);
  char buf[8];
  ASSERT_EQ(read(fd, buf, 4), 4);
  EXPECT_EQ(std::memcmp(buf, "ping", 4), 0);
  rt.request_stop();
  rt.join();
  EXPECT_EQ(read(fd, buf, sizeof(buf)), 0);  // The server closed the connection.
  close(fd);
}

}  // namespace
}  // namespace rill::net
