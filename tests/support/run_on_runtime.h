// run_on_runtime(): start a runtime, run one coroutine on shard 0, stop the
// runtime when it finishes and wait for every shard to drain. Test helper.
#pragma once

#include <functional>

#include "base/task.h"
#include "platform/runtime/runtime.h"

namespace rill::testing {

inline void run_on_runtime(runtime::runtime_options options,
                           std::function<task<void>(runtime::runtime&)> body) {
  options.pin_threads = false;  // Tests share two cores with everything else.
  runtime::runtime rt(options);
  rt.start([&](runtime::shard& s) {
    if (s.id() != runtime::shard_id(0)) return;
    spawn([](runtime::runtime& r, std::function<task<void>(runtime::runtime&)>& fn) -> task<void> {
      co_await fn(r);
      r.request_stop();
    }(rt, body));
  });
  rt.join();
}

}  // namespace rill::testing
