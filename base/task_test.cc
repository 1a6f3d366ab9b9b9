#include "base/task.h"

#include <gtest/gtest.h>

#include <coroutine>

namespace rill {
namespace {

task<int> add(int a, int b) {
  co_return a + b;
}

task<int> nested_sum(int depth) {
  if (depth == 0) co_return 0;
  int below = co_await nested_sum(depth - 1);
  co_return below + 1;
}

// A manual event so a test controls exactly when a coroutine resumes.
struct manual_event {
  std::coroutine_handle<> waiter;
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) { waiter = h; }
  void await_resume() const noexcept {}
};

TEST(task, is_lazy_until_awaited) {
  bool ran = false;
  auto body = [&]() -> task<void> {
    ran = true;
    co_return;
  };
  task<void> t = body();
  EXPECT_FALSE(ran);
  spawn(std::move(t));
  EXPECT_TRUE(ran);
}

TEST(task, returns_values_through_awaits) {
  int got = 0;
  spawn([&]() -> task<void> { got = co_await add(2, 3); }());
  EXPECT_EQ(got, 5);
}

TEST(task, deep_chains_do_not_grow_the_stack) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "AddressSanitizer disables the tail calls that symmetric transfer relies on";
#endif
  int got = -1;
  spawn([&]() -> task<void> { got = co_await nested_sum(100000); }());
  EXPECT_EQ(got, 100000);
}

// Coroutine lambdas must not capture: the closure dies at the end of the
// full expression while the frame lives on. State goes in as parameters.
task<void> wait_for_event(manual_event& ev, int& stage) {
  stage = 1;
  co_await ev;
  stage = 2;
}

TEST(task, spawned_task_resumes_from_outside_event) {
  manual_event ev;
  int stage = 0;
  spawn(wait_for_event(ev, stage));
  EXPECT_EQ(stage, 1);
  ev.waiter.resume();
  EXPECT_EQ(stage, 2);
}

}  // namespace
}  // namespace rill
