#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <functional>
#include <thread>
#include <vector>

#include "platform/runtime/cross_shard.h"
#include "platform/runtime/external_call.h"
#include "platform/runtime/runtime.h"
#include "platform/runtime/uring_op.h"
#include "platform/runtime/wait_queue.h"
#include "tests/support/run_on_runtime.h"

namespace rill::runtime {
namespace {

using testing::run_on_runtime;

TEST(runtime, cross_shard_call_runs_on_the_target_and_answers_the_caller) {
  int calls = 0;
  run_on_runtime({.shard_count = 2}, [&](runtime& rt) -> task<void> {
    for (int i = 0; i < 1000; ++i) {
      uint32_t ran_on =
          co_await submit_to(shard_id(1), [] { return shard::current()->id().value(); });
      EXPECT_EQ(ran_on, 1u);
      EXPECT_EQ(shard::current()->id(), shard_id(0));
      ++calls;
    }
  });
  EXPECT_EQ(calls, 1000);
}

TEST(runtime, cross_shard_call_can_run_a_coroutine_on_the_target) {
  int got = 0;
  run_on_runtime({.shard_count = 2}, [&](runtime& rt) -> task<void> {
    got = co_await submit_to(shard_id(1), []() -> task<int> {
      co_await sleep_for(*shard::current(), 1 * k_ns_per_ms);
      co_return 42;
    });
  });
  EXPECT_EQ(got, 42);
}

TEST(runtime, full_mailbox_back_pressures_instead_of_dropping) {
  static constexpr int k_senders = 200;
  int done = 0;
  run_on_runtime({.shard_count = 2, .mailbox_capacity = 4}, [&](runtime& rt) -> task<void> {
    wait_queue all_done;
    for (int i = 0; i < k_senders; ++i) {
      spawn([](int i, int& done, wait_queue& q) -> task<void> {
        int v = co_await submit_to(shard_id(1), [i] { return i * 2; });
        EXPECT_EQ(v, i * 2);
        if (++done == k_senders) q.notify_all();
      }(i, done, all_done));
    }
    while (done < k_senders) co_await all_done.wait(*shard::current());
  });
  EXPECT_EQ(done, k_senders);
}

// What the Kafka produce path relies on: calls posted one after another start
// on the target in that order, even through a full mailbox and when each
// suspends after it started, and locally as well as across shards.
task<int> note_start_then_sleep(int i, std::vector<int>* started) {
  started->push_back(i);  // before anything suspends
  co_await sleep_for(*shard::current(), static_cast<uint64_t>((i * 7) % 5) * k_ns_per_ms);
  co_return i;
}

task<void> post_in_order(shard_id target, std::vector<int>* started) {
  std::vector<posted_call<std::function<task<int>()>>> calls;
  for (int i = 0; i < 100; ++i) {
    std::function<task<int>()> fn = [i, started] { return note_start_then_sleep(i, started); };
    calls.push_back(co_await post_to(target, std::move(fn)));
  }
  for (int i = 0; i < 100; ++i) EXPECT_EQ(co_await calls[static_cast<size_t>(i)].result(), i);
}

TEST(runtime, posted_calls_start_on_the_target_in_the_order_they_were_posted) {
  std::vector<int> remote;
  std::vector<int> local;
  run_on_runtime({.shard_count = 2, .mailbox_capacity = 4}, [&](runtime& rt) -> task<void> {
    co_await post_in_order(shard_id(1), &remote);
    co_await post_in_order(shard_id(0), &local);
  });
  std::vector<int> expected(100);
  for (int i = 0; i < 100; ++i) expected[static_cast<size_t>(i)] = i;
  EXPECT_EQ(remote, expected);
  EXPECT_EQ(local, expected);
}

TEST(runtime, timers_fire_in_deadline_order) {
  std::vector<int> order;
  run_on_runtime({.shard_count = 1}, [&](runtime& rt) -> task<void> {
    shard& s = *shard::current();
    wait_queue q;
    int finished = 0;
    // Before the sleeps start: each deadline is taken when its sleep begins.
    uint64_t start = monotonic_ns();
    for (int delay : {30, 10, 20}) {
      spawn([](shard& s, int delay, std::vector<int>& order, int& finished,
               wait_queue& q) -> task<void> {
        co_await sleep_for(s, static_cast<uint64_t>(delay) * k_ns_per_ms);
        order.push_back(delay);
        if (++finished == 3) q.notify_all();
      }(s, delay, order, finished, q));
    }
    while (finished < 3) co_await q.wait(s);
    EXPECT_GE(monotonic_ns() - start, 30 * k_ns_per_ms);
  });
  EXPECT_EQ(order, (std::vector<int>{10, 20, 30}));
}

TEST(runtime, wait_queue_reports_timeout_and_notification) {
  run_on_runtime({.shard_count = 1}, [&](runtime& rt) -> task<void> {
    shard& s = *shard::current();
    wait_queue q;
    wake_reason r = co_await q.wait_until(s, monotonic_ns() + 5 * k_ns_per_ms);
    EXPECT_EQ(r, wake_reason::timed_out);
    spawn([](shard& s, wait_queue& q) -> task<void> {
      co_await sleep_for(s, 2 * k_ns_per_ms);
      q.notify_all();
    }(s, q));
    r = co_await q.wait_until(s, monotonic_ns() + 5000 * k_ns_per_ms);
    EXPECT_EQ(r, wake_reason::notified);
  });
}

TEST(runtime, io_with_timeout_is_cancelled_by_the_kernel) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  int res = 0;
  run_on_runtime({.shard_count = 1}, [&](runtime& rt) -> task<void> {
    char buf[8];
    uring_op op(*shard::current());
    io_uring_prep_read(op.sqe(), fds[0], buf, sizeof(buf), 0);
    op.with_timeout(10 * k_ns_per_ms);
    res = co_await op;
  });
  EXPECT_EQ(res, -ECANCELED);
  close(fds[0]);
  close(fds[1]);
}

TEST(runtime, explicit_cancel_ends_a_pending_read) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  int res = 0;
  run_on_runtime({.shard_count = 1}, [&](runtime& rt) -> task<void> {
    shard& s = *shard::current();
    char buf[8];
    uring_op op(s);
    io_uring_prep_read(op.sqe(), fds[0], buf, sizeof(buf), 0);
    spawn([](shard& s, uring_op& op) -> task<void> {
      co_await sleep_for(s, 2 * k_ns_per_ms);
      s.cancel_io(&op);
    }(s, op));
    res = co_await op;
  });
  EXPECT_EQ(res, -ECANCELED);
  close(fds[0]);
  close(fds[1]);
}

TEST(runtime, falls_back_when_a_ring_mode_is_not_wanted) {
  ring_mode seen = ring_mode::defer_taskrun;
  run_on_runtime({.shard_count = 1, .preferred_ring_mode = ring_mode::coop_taskrun},
                 [&](runtime& rt) -> task<void> {
                   seen = shard::current()->mode();
                   co_return;
                 });
  EXPECT_NE(seen, ring_mode::defer_taskrun);
}

TEST(runtime, a_sqpoll_ring_serves_io_timers_and_cross_shard_calls) {
  bool sqpoll = false;
  int answers = 0;
  int32_t read_bytes = 0;
  shard_stats stats;
  run_on_runtime({.shard_count = 2, .sqpoll_idle_ms = 10}, [&](runtime& rt) -> task<void> {
    shard& s = *shard::current();
    sqpoll = s.sqpoll();
    for (int i = 0; i < 200; ++i) {
      answers += co_await submit_to(shard_id(1), [] { return 1; });
    }
    co_await sleep_for(s, 2 * k_ns_per_ms);
    int fds[2];
    EXPECT_EQ(pipe(fds), 0);
    EXPECT_EQ(write(fds[1], "sqpoll", 6), 6);
    char buf[8];
    uring_op op(s);
    io_uring_prep_read(op.sqe(), fds[0], buf, sizeof(buf), 0);
    read_bytes = co_await op;
    close(fds[0]);
    close(fds[1]);
    stats = s.stats();
  });
  if (!sqpoll) GTEST_SKIP() << "the kernel refused SQPOLL here";
  EXPECT_EQ(answers, 200);
  EXPECT_EQ(read_bytes, 6);
  EXPECT_EQ(stats.ops_in_flight, 0);
  EXPECT_GT(stats.cqes_reaped, 0u);
}

TEST(runtime, loop_stats_count_submissions_and_completions) {
  shard_stats stats;
  run_on_runtime({.shard_count = 1}, [&](runtime& rt) -> task<void> {
    shard& s = *shard::current();
    for (int i = 0; i < 10; ++i) {
      uring_op op(s);
      io_uring_prep_nop(op.sqe());
      co_await op;
    }
    co_await sleep_for(s, 3 * k_ns_per_ms);
    stats = s.stats();
  });
  EXPECT_GE(stats.sqes_submitted, 10u);
  EXPECT_GE(stats.cqes_reaped, 10u);
  EXPECT_EQ(stats.ops_in_flight, 0);
  EXPECT_GT(stats.waiting_ns, 1'000'000u);  // the sleep was spent waiting
  EXPECT_GT(stats.started_ns, 0u);
}

TEST(runtime, a_thread_outside_calls_a_shard_and_waits_bounded) {
  runtime rt({.shard_count = 2, .pin_threads = false});
  rt.start(nullptr);
  std::optional<int> got = call_from_outside<int>(
      rt, shard_id(1),
      []() -> task<int> {
        co_await sleep_for(*shard::current(), 1 * k_ns_per_ms);
        co_return static_cast<int>(shard::current()->id().value()) + 41;
      },
      std::chrono::seconds(5));
  EXPECT_EQ(got, 42);
  std::optional<int> late = call_from_outside<int>(
      rt, shard_id(0),
      []() -> task<int> {
        co_await sleep_for(*shard::current(), 500 * k_ns_per_ms);
        co_return 1;
      },
      std::chrono::milliseconds(20));
  EXPECT_FALSE(late.has_value());
  rt.request_stop();
  rt.join();
}

TEST(runtime, stop_drains_work_in_flight) {
  std::atomic<bool> finished{false};
  runtime rt({.shard_count = 2, .pin_threads = false});
  rt.start([&](shard& s) {
    if (s.id() != shard_id(1)) return;
    spawn([](shard& s, std::atomic<bool>& finished) -> task<void> {
      work_guard guard(s);
      co_await sleep_for(s, 50 * k_ns_per_ms);
      finished = true;
    }(s, finished));
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  rt.request_stop();
  rt.join();
  EXPECT_TRUE(finished.load());
}

TEST(runtime, post_external_runs_on_the_shard_thread) {
  std::atomic<int> ran_on{-1};
  runtime rt({.shard_count = 2, .pin_threads = false});
  rt.start(nullptr);
  rt.post_external(shard_id(1), [&] { ran_on = static_cast<int>(shard::current()->id().value()); });
  while (ran_on.load() < 0) std::this_thread::yield();
  rt.request_stop();
  rt.join();
  EXPECT_EQ(ran_on.load(), 1);
}

}  // namespace
}  // namespace rill::runtime
