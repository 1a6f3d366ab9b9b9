// call_from_outside(): runs a coroutine on a shard on behalf of a thread
// outside the runtime (an admin HTTP worker) and waits, bounded, for its
// result.
//
//   std::optional<std::string> text = call_from_outside<std::string>(
//       rt, shard_id(0), [&]() -> task<std::string> { ... }, std::chrono::seconds(2));
//
// The call goes through the runtime's external inbox; the caller blocks on a
// condition variable, never a shard. On timeout (a stopping or stopped
// runtime never runs the call) it returns nullopt; the state is shared, so a
// late completion writes into memory that is still alive.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>

#include "base/task.h"
#include "platform/runtime/runtime.h"

namespace rill::runtime {

template <typename T>
std::optional<T> call_from_outside(runtime& rt, shard_id target, std::function<task<T>()> fn,
                                   std::chrono::milliseconds timeout) {
  RILL_ASSERT(shard::current() == nullptr, "call_from_outside from a shard would block it");
  struct state {
    std::mutex mutex;
    std::condition_variable done;
    std::optional<T> value;
  };
  auto shared = std::make_shared<state>();
  rt.post_external(target, [shared, fn = std::move(fn)]() mutable {
    spawn([](std::shared_ptr<state> st, std::function<task<T>()> f) -> task<void> {
      work_guard guard(*shard::current());  // a stop waits for the call
      T v = co_await f();
      std::lock_guard<std::mutex> lock(st->mutex);
      st->value.emplace(std::move(v));
      st->done.notify_all();
    }(shared, std::move(fn)));
  });
  std::unique_lock<std::mutex> lock(shared->mutex);
  shared->done.wait_for(lock, timeout, [&] { return shared->value.has_value(); });
  return std::move(shared->value);
}

}  // namespace rill::runtime
