#include "platform/runtime/runtime.h"

#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "base/assert.h"
#include "base/log.h"

namespace rill::runtime {

runtime::runtime(runtime_options options) : options_(std::move(options)) {
  RILL_ASSERT(options_.shard_count >= 1 && options_.shard_count <= 256, "shard_count %u",
              options_.shard_count);
  uint32_t n = options_.shard_count;
  int cpus_online = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  for (uint32_t i = 0; i < n; ++i) {
    shard_options so{.ring_entries = options_.ring_entries,
                     .cpu = -1,
                     .sqpoll_idle_ms = options_.sqpoll_idle_ms};
    if (options_.pin_threads) {
      so.cpu = i < options_.cpus.size() ? options_.cpus[i]
                                        : static_cast<int>(i) % std::max(cpus_online, 1);
    }
    shards_.push_back(std::make_unique<shard>(this, shard_id(i), so));
    inboxes_.push_back(std::make_unique<external_inbox>());
    inboxes_.back()->event_fd = shards_.back()->event_fd_;
  }
  for (uint32_t i = 0; i < n * n; ++i) {
    mailboxes_.push_back(std::make_unique<spsc_queue<mailbox_message*>>(options_.mailbox_capacity));
  }
}

runtime::~runtime() {
  request_stop();
  join();
}

void runtime::start(const std::function<void(shard&)>& on_start) {
  RILL_ASSERT(threads_.empty(), "runtime started twice");
  for (uint32_t i = 0; i < shard_count(); ++i) {
    threads_.emplace_back([this, i, on_start] { thread_main(i, on_start); });
  }
}

void runtime::thread_main(uint32_t index, const std::function<void(shard&)>& on_start) {
  shard& s = *shards_[index];
  s.bind_to_thread();
  char name[16];
  snprintf(name, sizeof(name), "rill-shard-%u", index);
  pthread_setname_np(pthread_self(), name);
  if (s.options_.cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(s.options_.cpu, &set);
    int rc = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
    if (rc != 0) {
      RILL_WARN("runtime", "could not pin to cpu %d: %s", s.options_.cpu, strerror(rc));
    }
  }
  s.setup_ring();
  s.arm_external_wakeup();
  // Every ring must exist before anyone sends MSG_RING wakeups to it.
  ready_count_.fetch_add(1);
  while (ready_count_.load() < shard_count()) sched_yield();
  if (on_start) on_start(s);
  s.run_loop();
}

void runtime::request_stop() {
  stop_requested_.store(true, std::memory_order_release);
  for (uint32_t i = 0; i < inboxes_.size(); ++i) wake_external(i);
}

void runtime::join() {
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

void runtime::post_external(shard_id target, std::function<void()> fn) {
  RILL_ASSERT(target.value() < shard_count());
  external_inbox& inbox = *inboxes_[target.value()];
  {
    std::lock_guard<std::mutex> lock(inbox.mutex);
    inbox.pending.push_back(std::move(fn));
  }
  wake_external(target.value());
}

void runtime::wake_external(uint32_t index) {
  uint64_t one = 1;
  ssize_t n = write(inboxes_[index]->event_fd, &one, sizeof(one));
  (void)n;  // EAGAIN means a wakeup is already pending, which is enough.
}

std::vector<std::function<void()>> runtime::take_external(uint32_t index) {
  external_inbox& inbox = *inboxes_[index];
  std::lock_guard<std::mutex> lock(inbox.mutex);
  return std::exchange(inbox.pending, {});
}

void runtime::note_drained() {
  if (drained_count_.fetch_add(1) + 1 == shard_count()) {
    // Wake shards that are idle in io_uring_enter so they notice.
    for (uint32_t i = 0; i < inboxes_.size(); ++i) wake_external(i);
  }
}

}  // namespace rill::runtime
