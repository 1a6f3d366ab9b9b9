#include "platform/runtime/blocking_worker.h"

namespace rill::runtime {

blocking_worker::blocking_worker() : thread_([this] { loop(); }) {}

blocking_worker::~blocking_worker() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

uint64_t blocking_worker::calls_run() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return calls_run_;
}

void blocking_worker::enqueue(std::function<void()> job) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    RILL_ASSERT(!stopping_, "a call given to a blocking_worker that is being destroyed");
    jobs_.push_back(std::move(job));
  }
  wake_.notify_one();
}

void blocking_worker::loop() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping, and everything queued has run
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
    std::lock_guard<std::mutex> lock(mutex_);
    ++calls_run_;
  }
}

}  // namespace rill::runtime
