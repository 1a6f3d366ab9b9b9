// turn_queue: first come, first served turns for coroutines on one thread.
//
// A coroutine takes a ticket when it reaches `co_await q.enter()` and
// resumes when every earlier ticket has finished its turn; the returned
// `turn` ends the turn when released or destroyed. Use it where the order
// in which callers arrive must be the order in which they act (appends to
// a log: arrival order is offset order), even when the acting part
// suspends (back-pressure, a segment roll).
//
// Executor-agnostic like waiter_list: the next waiter is resumed inline, by
// a trampoline so that a chain of turns that finish without suspending does
// not grow the stack. Owned by one thread; the queue must outlive every
// turn and waiter.
#pragma once

#include <coroutine>
#include <cstdint>
#include <map>
#include <utility>

#include "base/assert.h"

namespace rill {

class turn_queue {
 public:
  // The right to act; ends the turn when released or destroyed.
  class turn {
   public:
    turn() = default;
    turn(turn_queue* q, uint64_t ticket) : queue_(q), ticket_(ticket) {}
    turn(turn&& o) noexcept : queue_(std::exchange(o.queue_, nullptr)), ticket_(o.ticket_) {}
    turn& operator=(turn&& o) noexcept {
      if (this != &o) {
        release();
        queue_ = std::exchange(o.queue_, nullptr);
        ticket_ = o.ticket_;
      }
      return *this;
    }
    turn(const turn&) = delete;
    turn& operator=(const turn&) = delete;
    ~turn() { release(); }
    void release() {
      if (queue_ != nullptr) std::exchange(queue_, nullptr)->finish(ticket_);
    }
    bool held() const { return queue_ != nullptr; }

   private:
    turn_queue* queue_ = nullptr;
    uint64_t ticket_ = 0;
  };

  struct awaiter {
    turn_queue* queue;
    uint64_t ticket;
    bool await_ready() const noexcept { return queue->serving_ == ticket; }
    void await_suspend(std::coroutine_handle<> h) {
      auto [it, fresh] = queue->waiting_.emplace(ticket, h);
      RILL_ASSERT(fresh, "ticket %llu waited on twice", static_cast<unsigned long long>(ticket));
    }
    turn await_resume() const noexcept { return turn(queue, ticket); }
  };

  turn_queue() = default;
  turn_queue(const turn_queue&) = delete;
  turn_queue& operator=(const turn_queue&) = delete;
  ~turn_queue() { RILL_ASSERT(waiting_.empty(), "turn_queue destroyed with waiters"); }

  // The ticket is taken here, when the awaiting coroutine reaches this
  // point: callers arrive in the order they reach it.
  awaiter enter() { return awaiter{this, next_ticket_++}; }
  // Turns taken and not yet finished, the current one included.
  uint64_t queued() const { return next_ticket_ - serving_; }

 private:
  void finish(uint64_t ticket) {
    RILL_ASSERT(ticket == serving_, "turn %llu finished while %llu is serving",
                static_cast<unsigned long long>(ticket), static_cast<unsigned long long>(serving_));
    ++serving_;
    if (resuming_) return;  // the outer finish() resumes the next waiter
    resuming_ = true;
    for (;;) {
      auto it = waiting_.find(serving_);
      if (it == waiting_.end()) break;
      std::coroutine_handle<> h = it->second;
      waiting_.erase(it);
      uint64_t resumed = serving_;
      h.resume();
      // A turn that suspended in the middle keeps the queue until it ends.
      if (serving_ == resumed) break;
    }
    resuming_ = false;
  }

  uint64_t next_ticket_ = 0;
  uint64_t serving_ = 0;
  bool resuming_ = false;
  std::map<uint64_t, std::coroutine_handle<>> waiting_;
};

}  // namespace rill
