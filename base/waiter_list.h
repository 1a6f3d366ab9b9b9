// waiter_list: coroutines waiting for a condition on one thread, resumed
// inline by notify_all(). Executor-agnostic, so the storage engine can use it
// without depending on the runtime.
//
// Waiters re-check their condition after waking (use it in a loop). The
// waiter node lives in the awaiting coroutine's frame; notify_all() detaches
// the whole list before resuming anyone, so a resumed waiter may wait again
// or destroy the list's owner only if nothing else is still queued.
#pragma once

#include <coroutine>
#include <vector>

#include "base/assert.h"

namespace rill {

class waiter_list {
 public:
  struct awaiter {
    waiter_list* list;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) { list->waiting_.push_back(h); }
    void await_resume() const noexcept {}
  };

  waiter_list() = default;
  waiter_list(const waiter_list&) = delete;
  waiter_list& operator=(const waiter_list&) = delete;
  ~waiter_list() { RILL_ASSERT(waiting_.empty(), "waiter_list destroyed with waiters"); }

  awaiter wait() { return awaiter{this}; }
  void notify_all() {
    std::vector<std::coroutine_handle<>> now = std::move(waiting_);
    waiting_.clear();
    for (std::coroutine_handle<> h : now) h.resume();
  }
  bool empty() const { return waiting_.empty(); }
  size_t size() const { return waiting_.size(); }

 private:
  std::vector<std::coroutine_handle<>> waiting_;
};

}  // namespace rill
