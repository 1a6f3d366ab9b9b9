// submit_to(): run a function on another shard and get its result back on
// the calling shard, through the bounded SPSC mailboxes.
//
//   int n = co_await submit_to(target, [] { return partition_count(); });
//   auto r = co_await submit_to(target, []() -> task<int> { ... });
//
// The function runs on the target's thread; if it returns a task, the task
// runs there to completion. When a mailbox is full the sender yields and
// retries, so a slow shard back-pressures its callers instead of growing a
// queue. The message lives in the caller's coroutine frame.
//
// post_to() splits a call in two: it returns once the call is in the
// target's mailbox, and the result is awaited later. A shard's mailbox to
// another is FIFO and the target starts calls in the order they arrive (a
// task runs until its first suspension at once), so calls posted one after
// another start in that order; the Kafka produce path relies on it.
#pragma once

#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include "base/task.h"
#include "platform/runtime/mailbox_message.h"
#include "platform/runtime/runtime.h"
#include "platform/runtime/uring_op.h"

namespace rill::runtime {

namespace detail {

template <typename T>
struct task_value {
  using type = T;
  static constexpr bool is_task = false;
};
template <typename T>
struct task_value<task<T>> {
  using type = T;
  static constexpr bool is_task = true;
};

// Posts m to the mailbox of `to`, yielding while the mailbox is full.
inline task<void> post_with_backpressure(shard& from, shard_id to, mailbox_message* m) {
  while (!from.try_post(to, m)) co_await yield{&from};
}

template <typename F>
class call_message final : public mailbox_message {
 public:
  using raw_result = std::invoke_result_t<F&>;
  using value_type = typename task_value<raw_result>::type;
  static constexpr bool returns_void = std::is_void_v<value_type>;
  using stored_type = std::conditional_t<returns_void, bool, value_type>;

  explicit call_message(F fn) : fn_(std::move(fn)) {}

  void run_on_target(shard& target) override {
    work_guard guard(target);
    if constexpr (task_value<raw_result>::is_task) {
      spawn(run_task(target, std::move(guard)));
    } else {
      if constexpr (returns_void) {
        fn_();
        value_.emplace(true);
      } else {
        value_.emplace(fn_());
      }
      send_reply(target);
    }
  }

  void complete_on_source(shard& /*source*/) override {
    done_ = true;
    if (waiter_) std::exchange(waiter_, {}).resume();
  }

  bool await_ready() const noexcept { return done_; }
  void await_suspend(std::coroutine_handle<> h) { waiter_ = h; }
  void await_resume() const noexcept {}
  stored_type take() { return std::move(*value_); }

 private:
  task<void> run_task(shard& target, work_guard guard) {
    if constexpr (returns_void) {
      co_await fn_();
      value_.emplace(true);
    } else {
      value_.emplace(co_await fn_());
    }
    send_reply(target);
  }

  void send_reply(shard& target) {
    is_reply = true;
    if (source == target.id()) {  // a local call (post_to on its own shard)
      complete_on_source(target);
      return;
    }
    if (!target.try_post(source, this)) spawn(post_with_backpressure(target, source, this));
  }

  F fn_;
  std::optional<stored_type> value_;
  std::coroutine_handle<> waiter_{};
  bool done_ = false;
};

}  // namespace detail

template <typename F>
auto submit_to(shard_id target, F fn) -> task<typename detail::call_message<F>::value_type> {
  using message = detail::call_message<F>;
  shard* here = shard::current();
  RILL_ASSERT(here != nullptr, "submit_to called off-shard");
  if (target == here->id()) {
    if constexpr (detail::task_value<typename message::raw_result>::is_task) {
      co_return co_await fn();
    } else {
      co_return fn();
    }
  } else {
    message m(std::move(fn));
    m.source = here->id();
    m.target = target;
    // Suspends only when the post succeeded; the reply resumes us. A full
    // mailbox resumes at once and we retry after the run queue's turn.
    struct post_and_wait {
      message* m;
      shard* here;
      bool posted = false;
      bool await_ready() const noexcept { return false; }
      bool await_suspend(std::coroutine_handle<> h) {
        m->await_suspend(h);  // Armed before posting so a fast reply finds it.
        posted = here->try_post(m->target, m);
        return posted;
      }
      bool await_resume() const noexcept { return posted; }
    };
    while (!co_await post_and_wait{&m, here}) co_await yield{here};
    if constexpr (message::returns_void) {
      co_return;
    } else {
      co_return m.take();
    }
  }
}

// A call started by post_to(); result() awaits its value on the caller's
// shard. Owned by the caller, which must await result() before dropping it.
template <typename F>
class posted_call {
 public:
  using message = detail::call_message<F>;
  using value_type = typename message::value_type;

  explicit posted_call(std::unique_ptr<message> m) : m_(std::move(m)) {}
  posted_call(posted_call&&) noexcept = default;
  posted_call& operator=(posted_call&&) noexcept = default;

  task<value_type> result() {
    RILL_ASSERT(m_ != nullptr, "result() of a call awaited already");
    std::unique_ptr<message> m = std::move(m_);
    co_await *m;  // ready at once when the reply came first
    if constexpr (message::returns_void) {
      co_return;
    } else {
      co_return m->take();
    }
  }

 private:
  std::unique_ptr<message> m_;
};

// Starts fn on target and returns once it is queued there (on the caller's
// own shard: once it ran to its first suspension).
template <typename F>
task<posted_call<F>> post_to(shard_id target, F fn) {
  using message = detail::call_message<F>;
  shard* here = shard::current();
  RILL_ASSERT(here != nullptr, "post_to called off-shard");
  auto m = std::make_unique<message>(std::move(fn));
  m->source = here->id();
  m->target = target;
  if (target == here->id()) {
    m->run_on_target(*here);
  } else {
    co_await post_with_backpressure(*here, target, m.get());
  }
  co_return posted_call<F>(std::move(m));
}

}  // namespace rill::runtime
