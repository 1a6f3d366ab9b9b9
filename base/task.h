// task<T>: a lazily started C++20 coroutine that yields one T.
//
// A task does nothing until it is awaited (or handed to spawn()); awaiting
// it runs it on the awaiting thread and resumes the awaiter by symmetric
// transfer when it finishes, so chains of tasks never grow the stack. Tasks
// are executor-agnostic: the leaf awaitables (io_uring operations, timers,
// mailboxes, in-memory completions) decide where and when they resume.
//
// Ownership: the task object owns the coroutine frame until it is awaited
// to completion or destroyed. spawn() transfers ownership to a detached
// wrapper that frees the frame when the task finishes.
//
// Exceptions are not used on the data path; one escaping a task aborts.
#pragma once

#include <coroutine>
#include <optional>
#include <utility>

#include "base/assert.h"

namespace rill {

template <typename T = void>
class task;

namespace detail {

struct task_promise_base {
  std::coroutine_handle<> continuation_ = std::noop_coroutine();

  struct final_awaiter {
    bool await_ready() noexcept { return false; }
    template <typename P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> done) noexcept {
      return done.promise().continuation_;
    }
    void await_resume() noexcept {}
  };

  std::suspend_always initial_suspend() noexcept { return {}; }
  final_awaiter final_suspend() noexcept { return {}; }
  void unhandled_exception() noexcept { RILL_UNREACHABLE("an exception escaped a task"); }
};

template <typename T>
struct task_promise : task_promise_base {
  std::optional<T> value_;
  task<T> get_return_object() noexcept;
  void return_value(T v) { value_.emplace(std::move(v)); }
  T take() {
    RILL_ASSERT(value_.has_value(), "task finished without a value");
    return std::move(*value_);
  }
};

template <>
struct task_promise<void> : task_promise_base {
  task<void> get_return_object() noexcept;
  void return_void() noexcept {}
  void take() noexcept {}
};

}  // namespace detail

template <typename T>
class [[nodiscard]] task {
 public:
  using promise_type = detail::task_promise<T>;
  using handle_type = std::coroutine_handle<promise_type>;

  task() = default;
  explicit task(handle_type h) : handle_(h) {}
  task(task&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
  task& operator=(task&& other) noexcept {
    if (this != &other) {
      reset();
      handle_ = std::exchange(other.handle_, {});
    }
    return *this;
  }
  task(const task&) = delete;
  task& operator=(const task&) = delete;
  ~task() { reset(); }

  bool valid() const { return static_cast<bool>(handle_); }

  auto operator co_await() && noexcept {
    struct awaiter {
      handle_type handle_;
      bool await_ready() noexcept { return false; }
      std::coroutine_handle<> await_suspend(std::coroutine_handle<> caller) noexcept {
        handle_.promise().continuation_ = caller;
        return handle_;
      }
      T await_resume() { return handle_.promise().take(); }
    };
    RILL_ASSERT(handle_, "awaiting an empty task");
    return awaiter{handle_};
  }

  // Gives up ownership of the frame (used by spawn()).
  handle_type release() { return std::exchange(handle_, {}); }

 private:
  void reset() {
    if (handle_) handle_.destroy();
    handle_ = {};
  }
  handle_type handle_{};
};

namespace detail {

template <typename T>
task<T> task_promise<T>::get_return_object() noexcept {
  return task<T>(std::coroutine_handle<task_promise<T>>::from_promise(*this));
}
inline task<void> task_promise<void>::get_return_object() noexcept {
  return task<void>(std::coroutine_handle<task_promise<void>>::from_promise(*this));
}

// A coroutine that starts at once and frees itself when it finishes.
struct detached_task {
  struct promise_type {
    detached_task get_return_object() noexcept { return {}; }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { RILL_UNREACHABLE("an exception escaped a task"); }
  };
};

inline detached_task run_detached(task<void> t) {
  co_await std::move(t);
}

}  // namespace detail

// Starts t now, on this thread, and lets it run to completion on its own.
inline void spawn(task<void> t) {
  detail::run_detached(std::move(t));
}

// An awaitable that is already complete with a value; handy for in-memory
// implementations of asynchronous interfaces.
template <typename T>
task<T> make_ready_task(T value) {
  co_return value;
}

}  // namespace rill
