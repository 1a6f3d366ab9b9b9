// blocking_worker: a thread of its own that runs blocking calls (an HTTP
// round trip to etcd) for coroutines on shards, so that no shard's loop
// waits on them. run() suspends the calling coroutine, runs the call on the
// worker thread, and resumes the coroutine on its own shard through the
// runtime's external inbox. Calls run one at a time, in the order given.
//
//   std::optional<std::string> v = co_await worker.run<std::optional<std::string>>(
//       [&] { return client.get(key); });
//
// The calling shard counts the call as work in progress (work_guard), so a
// stopping runtime waits for it. Destroying the worker finishes the calls
// already queued.
#pragma once

#include <condition_variable>
#include <coroutine>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "base/assert.h"
#include "base/task.h"
#include "platform/runtime/runtime.h"
#include "platform/runtime/shard.h"

namespace rill::runtime {

class blocking_worker {
 public:
  blocking_worker();
  ~blocking_worker();
  blocking_worker(const blocking_worker&) = delete;
  blocking_worker& operator=(const blocking_worker&) = delete;

  template <typename T>
  task<T> run(std::function<T()> call) {
    shard* here = shard::current();
    RILL_ASSERT(here != nullptr, "blocking_worker::run outside a shard");
    work_guard guard(*here);
    co_return co_await handoff<T>{this, here, std::move(call), {}};
  }

  // Calls run so far, for tests.
  uint64_t calls_run() const;

 private:
  template <typename T>
  struct handoff {
    blocking_worker* worker;
    shard* home;
    std::function<T()> call;
    std::optional<T> value;

    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> resume) {
      worker->enqueue([this, resume] {
        value.emplace(call());
        home->owner().post_external(home->id(), [resume] { resume.resume(); });
      });
    }
    T await_resume() { return std::move(*value); }
  };

  void enqueue(std::function<void()> job);
  void loop();

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  uint64_t calls_run_ = 0;
  std::thread thread_;
};

}  // namespace rill::runtime
