#include "platform/runtime/blocking_worker.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "platform/runtime/clock.h"
#include "platform/runtime/uring_op.h"
#include "tests/support/run_on_runtime.h"

namespace rill::runtime {
namespace {

TEST(blocking_worker, a_blocking_call_leaves_the_shard_running_and_resumes_on_it) {
  blocking_worker worker;
  rill::testing::run_on_runtime({.shard_count = 1}, [&](runtime&) -> task<void> {
    shard& s = *shard::current();
    std::thread::id shard_thread = std::this_thread::get_id();
    int ticks = 0;
    bool done = false;
    bool ticker_ended = false;
    spawn([](shard& s, int& ticks, bool& done, bool& ended) -> task<void> {
      while (!done) {
        ++ticks;
        co_await sleep_for(s, 1 * k_ns_per_ms);
      }
      ended = true;
    }(s, ticks, done, ticker_ended));
    std::thread::id call_thread;
    std::string v = co_await worker.run<std::string>([&call_thread] {
      call_thread = std::this_thread::get_id();
      std::this_thread::sleep_for(std::chrono::milliseconds(60));
      return std::string("answer");
    });
    done = true;
    EXPECT_EQ(v, "answer");
    EXPECT_NE(call_thread, shard_thread);
    EXPECT_EQ(std::this_thread::get_id(), shard_thread);  // resumed at home
    EXPECT_EQ(shard::current(), &s);
    EXPECT_GE(ticks, 10);  // the shard kept running its other work meanwhile
    // The ticker coroutine sets it while this one sleeps.
    // NOLINTNEXTLINE(bugprone-infinite-loop)
    while (!ticker_ended) co_await sleep_for(s, 1 * k_ns_per_ms);
  });
  EXPECT_EQ(worker.calls_run(), 1u);
}

TEST(blocking_worker, calls_run_one_at_a_time_in_order) {
  blocking_worker worker;
  std::string order;
  rill::testing::run_on_runtime({.shard_count = 1}, [&](runtime&) -> task<void> {
    int remaining = 3;
    for (char c : std::string("abc")) {
      spawn([](blocking_worker& w, std::string& order, char c, int& remaining) -> task<void> {
        co_await w.run<bool>([&order, c] {
          order += c;
          return true;
        });
        --remaining;
      }(worker, order, c, remaining));
    }
    // The spawned calls count it down while this one sleeps.
    shard& here = *shard::current();
    // NOLINTNEXTLINE(bugprone-infinite-loop)
    while (remaining > 0) co_await sleep_for(here, 1 * k_ns_per_ms);
  });
  EXPECT_EQ(order, "abc");
}

}  // namespace
}  // namespace rill::runtime
