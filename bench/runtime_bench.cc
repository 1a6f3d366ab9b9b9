// Runtime microbenchmarks, each beside the baseline it is judged against:
//   cross-shard round trip (SPSC mailbox + MSG_RING)  vs  mutex/condvar ping-pong
//   io_uring NOP submit+complete                      vs  one plain syscall
//   TCP echo round trip through the io_uring server   vs  epoll + blocking client
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

#include "bench/bench_support.h"
#include "platform/net/tcp_server.h"
#include "platform/runtime/clock.h"
#include "platform/runtime/cross_shard.h"
#include "platform/runtime/runtime.h"
#include "platform/runtime/uring_op.h"

namespace rill::bench {
namespace {

using runtime::monotonic_ns;
using runtime::shard;
using runtime::shard_id;

// Runs body on shard 0 of a pinned two-shard runtime, then stops it.
void on_runtime(std::function<task<void>(runtime::runtime&)> body) {
  runtime::runtime rt({.shard_count = 2, .pin_threads = true});
  rt.start([&](shard& s) {
    if (s.id() != shard_id(0)) return;
    spawn([](runtime::runtime& r, std::function<task<void>(runtime::runtime&)>& fn) -> task<void> {
      co_await fn(r);
      r.request_stop();
    }(rt, body));
  });
  rt.join();
}

void BM_cross_shard_round_trip(benchmark::State& state) {
  latency_histogram h;
  on_runtime([&](runtime::runtime&) -> task<void> {
    for (auto _ : state) {
      uint64_t t0 = monotonic_ns();
      int v = co_await runtime::submit_to(shard_id(1), [] { return 1; });
      benchmark::DoNotOptimize(v);
      h.record(monotonic_ns() - t0);
    }
  });
  set_latency_counters(state, h);
}
BENCHMARK(BM_cross_shard_round_trip)->UseRealTime()->MinTime(1.0);

void BM_baseline_condvar_round_trip(benchmark::State& state) {
  std::mutex m;
  std::condition_variable cv;
  int turn = 0;  // 0: caller's turn, 1: worker's turn, 2: stop
  std::thread worker([&] {
    std::unique_lock lock(m);
    for (;;) {
      cv.wait(lock, [&] { return turn != 0; });
      if (turn == 2) return;
      turn = 0;
      cv.notify_all();
    }
  });
  latency_histogram h;
  for (auto _ : state) {
    uint64_t t0 = monotonic_ns();
    std::unique_lock lock(m);
    turn = 1;
    cv.notify_all();
    cv.wait(lock, [&] { return turn == 0; });
    h.record(monotonic_ns() - t0);
  }
  {
    std::lock_guard lock(m);
    turn = 2;
  }
  cv.notify_all();
  worker.join();
  set_latency_counters(state, h);
}
BENCHMARK(BM_baseline_condvar_round_trip)->UseRealTime()->MinTime(1.0);

void BM_uring_nop(benchmark::State& state) {
  latency_histogram h;
  on_runtime([&](runtime::runtime&) -> task<void> {
    shard& s = *shard::current();
    for (auto _ : state) {
      uint64_t t0 = monotonic_ns();
      runtime::uring_op op(s);
      io_uring_prep_nop(op.sqe());
      int res = co_await op;
      benchmark::DoNotOptimize(res);
      h.record(monotonic_ns() - t0);
    }
  });
  set_latency_counters(state, h);
}
BENCHMARK(BM_uring_nop)->UseRealTime()->MinTime(1.0);

void BM_baseline_syscall(benchmark::State& state) {
  latency_histogram h;
  for (auto _ : state) {
    uint64_t t0 = monotonic_ns();
    benchmark::DoNotOptimize(syscall(SYS_getppid));
    h.record(monotonic_ns() - t0);
  }
  set_latency_counters(state, h);
}
BENCHMARK(BM_baseline_syscall)->UseRealTime()->MinTime(1.0);

constexpr size_t k_echo_bytes = 64;

task<void> echo_handler(net::tcp_connection& c) {
  while (co_await c.fill(1)) {
    std::vector<uint8_t> out(c.input().begin(), c.input().end());
    c.consume(out.size());
    if (co_await c.send_all(out) != 0) co_return;
  }
}

// Starts a TCP server with handler on shard 1; returns a connected socket
// on the calling shard.
task<int> connect_to_server_on_shard1(task<void> (*handler)(net::tcp_connection&)) {
  uint16_t port = co_await runtime::submit_to(shard_id(1), [handler] {
    shard& s = *shard::current();
    auto* server =
        new net::tcp_server(s, {.listen = {.host = "127.0.0.1", .port = 0, .reuse_port = false}},
                            [handler](net::tcp_connection& c) { return handler(c); });
    (void)server->start();
    s.at_exit([server] { delete server; });
    return server->port();
  });
  net::socket_address addr;
  (void)net::socket_address::parse("127.0.0.1", port, &addr);
  auto fd = co_await net::tcp_connect(*shard::current(), addr, 1000 * runtime::k_ns_per_ms);
  co_return fd.value();
}

task<void> discard_handler(net::tcp_connection& c);

void BM_tcp_echo_uring(benchmark::State& state) {
  latency_histogram h;
  on_runtime([&](runtime::runtime&) -> task<void> {
    shard& s = *shard::current();
    net::tcp_connection client(s, co_await connect_to_server_on_shard1(echo_handler), nullptr);
    uint8_t msg[k_echo_bytes] = {1};
    uint8_t back[k_echo_bytes];
    for (auto _ : state) {
      uint64_t t0 = monotonic_ns();
      (void)co_await client.send_all(msg);
      size_t have = 0;
      while (have < k_echo_bytes) {
        runtime::uring_op op(s);
        io_uring_prep_recv(op.sqe(), client.fd(), back + have, k_echo_bytes - have, 0);
        int n = co_await op;
        if (n <= 0) break;
        have += static_cast<size_t>(n);
      }
      h.record(monotonic_ns() - t0);
    }
    co_await client.close();
  });
  set_latency_counters(state, h);
}
BENCHMARK(BM_tcp_echo_uring)->UseRealTime()->MinTime(1.0);

void BM_baseline_tcp_echo_epoll(benchmark::State& state) {
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t len = sizeof(a);
  getsockname(listener, reinterpret_cast<sockaddr*>(&a), &len);
  listen(listener, 16);
  std::atomic<bool> stop{false};
  std::thread server([&] {
    int conn = accept(listener, nullptr, nullptr);
    int one = 1;
    setsockopt(conn, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    int ep = epoll_create1(0);
    epoll_event ev{.events = EPOLLIN, .data = {.fd = conn}};
    epoll_ctl(ep, EPOLL_CTL_ADD, conn, &ev);
    uint8_t buf[4096];
    while (!stop) {
      epoll_event out[4];
      int n = epoll_wait(ep, out, 4, 100);
      for (int i = 0; i < n; ++i) {
        ssize_t r = read(conn, buf, sizeof(buf));
        if (r <= 0) {
          stop = true;
          break;
        }
        (void)!write(conn, buf, static_cast<size_t>(r));
      }
    }
    close(ep);
    close(conn);
  });
  int c = socket(AF_INET, SOCK_STREAM, 0);
  connect(c, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  int one = 1;
  setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  uint8_t msg[k_echo_bytes] = {1};
  uint8_t back[k_echo_bytes];
  latency_histogram h;
  for (auto _ : state) {
    uint64_t t0 = monotonic_ns();
    (void)!write(c, msg, sizeof(msg));
    size_t have = 0;
    while (have < k_echo_bytes) {
      ssize_t r = read(c, back + have, k_echo_bytes - have);
      if (r <= 0) break;
      have += static_cast<size_t>(r);
    }
    h.record(monotonic_ns() - t0);
  }
  close(c);
  stop = true;
  server.join();
  close(listener);
  set_latency_counters(state, h);
}
BENCHMARK(BM_baseline_tcp_echo_epoll)->UseRealTime()->MinTime(1.0);

// Bulk sends of 1 MiB buffers to a server that discards them: the
// zero-copy path (SEND_ZC, buffer held until the notification) against the
// copying send, in the same run.
enum class send_kind { copy, zero_copy };

task<void> discard_handler(net::tcp_connection& c) {
  while (co_await c.fill(1)) c.consume(c.input().size());
}

void bulk_send(benchmark::State& state, send_kind kind) {
  constexpr size_t k_block = 1 << 20;
  latency_histogram h;
  uint64_t bytes = 0;
  uint64_t zero_copy_bytes = 0;
  on_runtime([&](runtime::runtime&) -> task<void> {
    shard& s = *shard::current();
    net::tcp_connection client(s, co_await connect_to_server_on_shard1(discard_handler), nullptr);
    auto block = std::make_shared<std::vector<uint8_t>>(k_block, 0x5a);
    for (auto _ : state) {
      uint64_t t0 = monotonic_ns();
      if (kind == send_kind::copy) {
        (void)co_await client.send_all(*block);
      } else {
        (void)co_await client.send_zero_copy(*block, [block] {});
      }
      h.record(monotonic_ns() - t0);
      bytes += k_block;
    }
    zero_copy_bytes = client.counters().bytes_sent_zero_copy;
    co_await client.close();
  });
  set_latency_counters(state, h);
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.counters["MB_per_s"] =
      benchmark::Counter(static_cast<double>(bytes) / 1e6, benchmark::Counter::kIsRate);
  state.counters["zero_copy_share"] =
      bytes == 0 ? 0 : static_cast<double>(zero_copy_bytes) / static_cast<double>(bytes);
}

void BM_send_1mib_zero_copy(benchmark::State& state) {
  bulk_send(state, send_kind::zero_copy);
}
void BM_baseline_send_1mib_copy(benchmark::State& state) {
  bulk_send(state, send_kind::copy);
}
BENCHMARK(BM_send_1mib_zero_copy)->UseRealTime()->MinTime(1.0);
BENCHMARK(BM_baseline_send_1mib_copy)->UseRealTime()->MinTime(1.0);

}  // namespace
}  // namespace rill::bench

int main(int argc, char** argv) {
  using rill::bench::add_ratio;
  add_ratio("BM_cross_shard_round_trip", "BM_baseline_condvar_round_trip", "lower is better");
  add_ratio("BM_uring_nop", "BM_baseline_syscall", "one NOP through the ring vs one syscall");
  add_ratio("BM_tcp_echo_uring", "BM_baseline_tcp_echo_epoll", "lower is better");
  add_ratio("BM_send_1mib_zero_copy", "BM_baseline_send_1mib_copy", "throughput: higher is better");
  return rill::bench::run_benchmarks(argc, argv, "rill runtime benchmarks");
}
