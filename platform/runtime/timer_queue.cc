#include "platform/runtime/timer_queue.h"

#include "base/assert.h"

namespace rill::runtime {

void timer_queue::arm(timer_node* node, uint64_t deadline_ns) {
  RILL_ASSERT(!node->armed_, "timer armed twice");
  node->position_ = nodes_.emplace(deadline_ns, node);
  node->armed_ = true;
}

void timer_queue::cancel(timer_node* node) {
  if (!node->armed_) return;
  nodes_.erase(node->position_);
  node->armed_ = false;
}

int timer_queue::expire(uint64_t now_ns) {
  int fired = 0;
  while (!nodes_.empty() && nodes_.begin()->first <= now_ns) {
    timer_node* node = nodes_.begin()->second;
    nodes_.erase(nodes_.begin());
    node->armed_ = false;
    node->on_timer();  // May arm new timers; the loop re-reads begin().
    ++fired;
  }
  return fired;
}

uint64_t timer_queue::next_deadline_ns() const {
  return nodes_.empty() ? UINT64_MAX : nodes_.begin()->first;
}

}  // namespace rill::runtime
