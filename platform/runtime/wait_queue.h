// wait_queue: coroutines of one shard waiting for a condition, each with an
// optional deadline. The shard-local analogue of a condition variable.
//
// Owned by whatever holds the condition (a partition, a commit queue); used
// only on its shard's thread. A waiter lives in the awaiting coroutine's
// frame; it is unlinked from the queue and the timer queue before it
// resumes, so nothing dangles. The queue must outlive its waiters: notify
// them all (notify_all) before destroying it.
#pragma once

#include <coroutine>
#include <cstdint>

#include "base/assert.h"
#include "platform/runtime/clock.h"
#include "platform/runtime/shard.h"
#include "platform/runtime/timer_queue.h"

namespace rill::runtime {

enum class wake_reason : uint8_t { notified, timed_out };

class wait_queue {
 public:
  class waiter : public timer_node {
   public:
    waiter(wait_queue* q, shard* s, uint64_t deadline_ns)
        : queue_(q), shard_(s), deadline_ns_(deadline_ns) {}
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) {
      handle_ = h;
      queue_->link(this);
      if (deadline_ns_ != UINT64_MAX) shard_->timers().arm(this, deadline_ns_);
    }
    wake_reason await_resume() const noexcept { return reason_; }
    void on_timer() override {
      queue_->unlink(this);
      reason_ = wake_reason::timed_out;
      handle_.resume();
    }

   private:
    friend class wait_queue;
    wait_queue* queue_;
    shard* shard_;
    uint64_t deadline_ns_;
    std::coroutine_handle<> handle_{};
    wake_reason reason_ = wake_reason::notified;
    waiter* prev_ = nullptr;
    waiter* next_ = nullptr;
  };

  wait_queue() = default;
  wait_queue(const wait_queue&) = delete;
  wait_queue& operator=(const wait_queue&) = delete;
  ~wait_queue() { RILL_ASSERT(head_ == nullptr, "wait_queue destroyed with waiters"); }

  // co_await q.wait(shard) / q.wait_until(shard, deadline_ns)
  waiter wait(shard& s) { return waiter(this, &s, UINT64_MAX); }
  waiter wait_until(shard& s, uint64_t deadline_ns) { return waiter(this, &s, deadline_ns); }

  // Wakes every waiter through the shard's run queue (never inline, so the
  // notifier's state stays consistent while it runs).
  void notify_all() {
    while (head_ != nullptr) {
      waiter* w = head_;
      unlink(w);
      w->shard_->timers().cancel(w);
      w->reason_ = wake_reason::notified;
      w->shard_->schedule(w->handle_);
    }
  }
  bool empty() const { return head_ == nullptr; }

 private:
  void link(waiter* w) {
    w->next_ = nullptr;
    w->prev_ = tail_;
    if (tail_ != nullptr)
      tail_->next_ = w;
    else
      head_ = w;
    tail_ = w;
  }
  void unlink(waiter* w) {
    if (w->prev_ != nullptr)
      w->prev_->next_ = w->next_;
    else
      head_ = w->next_;
    if (w->next_ != nullptr)
      w->next_->prev_ = w->prev_;
    else
      tail_ = w->prev_;
    w->prev_ = w->next_ = nullptr;
  }

  waiter* head_ = nullptr;
  waiter* tail_ = nullptr;
};

}  // namespace rill::runtime
