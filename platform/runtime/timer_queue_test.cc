#include "platform/runtime/timer_queue.h"

#include <gtest/gtest.h>

#include <vector>

namespace rill::runtime {
namespace {

struct recording_timer final : timer_node {
  std::vector<int>* log;
  int id;
  recording_timer(std::vector<int>* l, int i) : log(l), id(i) {}
  void on_timer() override { log->push_back(id); }
};

TEST(timer_queue, cancelled_timers_never_fire) {
  std::vector<int> log;
  timer_queue q;
  recording_timer a(&log, 1), b(&log, 2), c(&log, 3);
  q.arm(&a, 10);
  q.arm(&b, 5);
  q.arm(&c, 7);
  q.cancel(&c);
  EXPECT_EQ(q.next_deadline_ns(), 5u);
  EXPECT_EQ(q.expire(6), 1);
  EXPECT_EQ(q.expire(100), 1);
  EXPECT_EQ(log, (std::vector<int>{2, 1}));
  EXPECT_EQ(q.next_deadline_ns(), UINT64_MAX);
}

}  // namespace
}  // namespace rill::runtime
