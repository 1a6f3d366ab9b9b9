// runtime: the group of shards of one process, their threads and the
// matrix of bounded mailboxes between every ordered pair of shards.
//
// Created and driven by the process's main thread: start() launches one
// pinned thread per shard and runs on_start on each of them; request_stop()
// (safe from any thread and from a signal-handling thread) begins a drained
// shutdown; join() waits for every shard to finish. The runtime outlives all
// shards and all messages in its mailboxes.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "platform/runtime/shard.h"
#include "platform/runtime/spsc_queue.h"

namespace rill::runtime {

struct runtime_options {
  uint32_t shard_count = 1;
  // CPU to pin shard i to; empty means "shard i on CPU i modulo the CPUs
  // available", pin_threads=false disables pinning altogether.
  std::vector<int> cpus;
  bool pin_threads = true;
  uint32_t ring_entries = 1024;
  uint32_t mailbox_capacity = 1024;
  uint64_t drain_timeout_ms = 5000;
  // After a loop iteration that did work, poll the completion queue for up
  // to this long before sleeping in io_uring_enter: trades a bounded burst
  // of CPU for not paying a wake-up (tens of microseconds on VMs) per I/O.
  uint32_t idle_poll_us = 0;
  // Above 0: each shard's ring gets a kernel submission thread (SQPOLL)
  // that spins this long after the last submission before it sleeps; it
  // costs a CPU while it spins. 0: the shard submits itself.
  uint32_t sqpoll_idle_ms = 0;
  // The most capable ring mode to try; tests lower it to exercise fallbacks.
  ring_mode preferred_ring_mode = ring_mode::defer_taskrun;
};

class runtime {
 public:
  explicit runtime(runtime_options options);
  ~runtime();
  runtime(const runtime&) = delete;
  runtime& operator=(const runtime&) = delete;

  // Starts the shard threads; on_start runs first on every shard's thread.
  void start(const std::function<void(shard&)>& on_start);
  // Begins a drained stop of every shard. Any thread.
  void request_stop();
  // Waits for every shard thread to finish.
  void join();

  // Runs fn on the given shard's thread from a thread outside the runtime.
  void post_external(shard_id target, std::function<void()> fn);

  uint32_t shard_count() const { return static_cast<uint32_t>(shards_.size()); }
  shard& shard_at(shard_id id) { return *shards_[id.value()]; }
  spsc_queue<mailbox_message*>& mailbox(shard_id from, shard_id to) {
    return *mailboxes_[from.value() * shard_count() + to.value()];
  }
  const runtime_options& options() const { return options_; }

 private:
  friend class shard;
  struct external_inbox {
    std::mutex mutex;
    std::vector<std::function<void()>> pending;
    int event_fd = -1;
  };
  void thread_main(uint32_t index, const std::function<void(shard&)>& on_start);
  void wake_external(uint32_t index);
  std::vector<std::function<void()>> take_external(uint32_t index);
  void note_drained();
  bool all_drained() const { return drained_count_.load() == shard_count(); }

  runtime_options options_;
  std::vector<std::unique_ptr<shard>> shards_;
  std::vector<std::unique_ptr<spsc_queue<mailbox_message*>>> mailboxes_;
  std::vector<std::unique_ptr<external_inbox>> inboxes_;
  std::vector<std::thread> threads_;
  std::atomic<uint32_t> ready_count_{0};
  std::atomic<uint32_t> drained_count_{0};
  std::atomic<bool> stop_requested_{false};
};

}  // namespace rill::runtime
