#include "base/turn_queue.h"

#include <gtest/gtest.h>

#include <coroutine>
#include <vector>

#include "base/task.h"

namespace rill {
namespace {

// A manual event so a test controls exactly when a coroutine resumes.
struct manual_event {
  std::coroutine_handle<> waiter;
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) { waiter = h; }
  void await_resume() const noexcept {}
};

// Takes a turn, optionally suspends in the middle of it, records its id.
task<void> act(turn_queue& q, manual_event* pause, int id, std::vector<int>& order) {
  turn_queue::turn t = co_await q.enter();
  if (pause != nullptr) co_await *pause;
  order.push_back(id);
}

TEST(turn_queue, callers_act_in_arrival_order_even_when_the_first_suspends) {
  turn_queue q;
  std::vector<int> order;
  manual_event slow;
  spawn(act(q, &slow, 1, order));
  spawn(act(q, nullptr, 2, order));
  spawn(act(q, nullptr, 3, order));
  EXPECT_TRUE(order.empty()) << "2 and 3 must wait behind 1";
  EXPECT_EQ(q.queued(), 3u);
  slow.waiter.resume();
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(q.queued(), 0u);
}

TEST(turn_queue, a_turn_suspended_behind_another_keeps_the_queue) {
  turn_queue q;
  std::vector<int> order;
  manual_event first;
  manual_event second;
  spawn(act(q, &first, 1, order));
  spawn(act(q, &second, 2, order));
  spawn(act(q, nullptr, 3, order));
  first.waiter.resume();
  EXPECT_EQ(order, (std::vector<int>{1}));
  second.waiter.resume();
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

TEST(turn_queue, long_chains_of_uncontended_turns_do_not_grow_the_stack) {
  turn_queue q;
  std::vector<int> order;
  manual_event gate;
  spawn(act(q, &gate, 0, order));
  constexpr int k_waiters = 100000;
  for (int i = 1; i <= k_waiters; ++i) spawn(act(q, nullptr, i, order));
  gate.waiter.resume();
  ASSERT_EQ(order.size(), static_cast<size_t>(k_waiters + 1));
  for (int i = 0; i <= k_waiters; ++i) ASSERT_EQ(order[static_cast<size_t>(i)], i);
}

TEST(turn_queue, a_released_turn_lets_the_next_in_before_the_holder_finishes) {
  turn_queue q;
  std::vector<int> order;
  manual_event after;
  spawn([](turn_queue& q, manual_event& after, std::vector<int>& order) -> task<void> {
    turn_queue::turn t = co_await q.enter();
    order.push_back(1);
    t.release();
    co_await after;
    order.push_back(10);
  }(q, after, order));
  spawn(act(q, nullptr, 2, order));
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
  after.waiter.resume();
  EXPECT_EQ(order, (std::vector<int>{1, 2, 10}));
}

}  // namespace
}  // namespace rill
