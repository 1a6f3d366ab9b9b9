// when_all(): runs tasks concurrently on the current shard and returns
// their results in order once all have finished.
#pragma once

#include <optional>
#include <vector>

#include "base/task.h"
#include "platform/runtime/shard.h"
#include "platform/runtime/wait_queue.h"

namespace rill::runtime {

template <typename T>
task<std::vector<T>> when_all(std::vector<task<T>> tasks) {
  shard& s = *shard::current();
  std::vector<std::optional<T>> slots(tasks.size());
  size_t remaining = tasks.size();
  wait_queue done;
  for (size_t i = 0; i < tasks.size(); ++i) {
    // The helper's state lives in this frame, which outlives every helper.
    spawn([](task<T> t, std::optional<T>* slot, size_t* left, wait_queue* q) -> task<void> {
      slot->emplace(co_await std::move(t));
      if (--*left == 0) q->notify_all();
    }(std::move(tasks[i]), &slots[i], &remaining, &done));
  }
  while (remaining > 0) co_await done.wait(s);
  std::vector<T> out;
  out.reserve(slots.size());
  for (auto& slot : slots) out.push_back(std::move(*slot));
  co_return out;
}

}  // namespace rill::runtime
