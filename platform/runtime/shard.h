// shard: one pinned thread with its own io_uring ring, run queue, timers and
// inbound mailboxes. Everything a shard owns is touched only by its thread.
//
// The loop has the shape of DPDK's l2fwd: run the ready coroutines, take a
// burst from every inbound mailbox, wake the shards we sent to, submit all
// queued SQEs with one io_uring_enter that also waits for the next CQE or
// timer, then reap the CQE burst and fire due timers.
//
// Lifetime: created and owned by a runtime; the ring is created on the shard
// thread itself (SINGLE_ISSUER/DEFER_TASKRUN require it) and torn down when
// the loop returns after a drained stop.
#pragma once

#include <liburing.h>

#include <coroutine>
#include <cstdint>
#include <deque>
#include <functional>
#include <vector>

#include "base/strong_int.h"
#include "platform/runtime/io_completion.h"
#include "platform/runtime/timer_queue.h"

namespace rill::runtime {

using shard_id = strong_int<struct shard_id_tag, uint32_t>;

class runtime;
struct mailbox_message;

// Which io_uring setup flags the kernel accepted, most capable first.
enum class ring_mode : uint8_t { defer_taskrun, coop_taskrun, plain };
const char* ring_mode_name(ring_mode mode);

// What a shard's loop did, for metrics. Written only by the shard's thread;
// a scrape reads a copy taken on that thread.
struct shard_stats {
  uint64_t started_ns = 0;      // when the loop began
  uint64_t waiting_ns = 0;      // blocked in io_uring_enter with nothing to do
  uint64_t submit_calls = 0;    // io_uring_enter calls that submitted
  uint64_t sqes_submitted = 0;  // SQEs the kernel took
  uint64_t cqes_reaped = 0;
  int64_t ops_in_flight = 0;  // single-shot uring_ops awaiting their CQE
};

// A function the loop calls every iteration before it waits, such as a
// DPDK receive queue's poll; it returns whether it found work. While a
// poller finds work, and for spin_ns after, the loop does not sleep; then it
// sleeps in steps doubling from 1 us up to idle_sleep_max_ns (0: never
// sleep, pure busy-polling), so an idle shard does not burn its core.
struct poller {
  std::function<bool()> poll;
  uint64_t spin_ns = 50'000;
  uint64_t idle_sleep_max_ns = 200'000;
};

struct shard_options {
  uint32_t ring_entries = 1024;
  int cpu = -1;                 // -1: do not pin.
  uint32_t sqpoll_idle_ms = 0;  // 0: no SQPOLL thread (runtime_options)
};

class shard {
 public:
  shard(runtime* owner, shard_id id, shard_options options);
  ~shard();
  shard(const shard&) = delete;
  shard& operator=(const shard&) = delete;

  // The shard whose thread is calling, or nullptr off-shard.
  static shard* current();

  shard_id id() const { return id_; }
  runtime& owner() { return *owner_; }
  io_uring* ring() { return &ring_; }
  ring_mode mode() const { return mode_; }
  bool sqpoll() const { return sqpoll_; }
  int ring_fd() const { return ring_.ring_fd; }

  // A free SQE; submits queued SQEs first when the submission queue is full.
  io_uring_sqe* get_sqe();
  // Makes room for n SQEs (submitting what is queued if needed), so that
  // the next n get_sqe() calls submit nothing: a group of SQEs, linked or
  // not, then goes to the kernel in one submission, after all are prepared.
  void reserve_sqes(unsigned n);
  // Asks the kernel to cancel the operation whose user_data is target.
  void cancel_io(io_completion* target);

  // Pollers run on this thread until removed. Returns an id for removal.
  uint32_t add_poller(poller p);
  void remove_poller(uint32_t id);

  // Resumes h from the run queue on the next loop iteration.
  void schedule(std::coroutine_handle<> h);
  timer_queue& timers() { return timers_; }

  // Posts m to the target shard's inbound mailbox. Returns false when that
  // mailbox is full; the caller retries after yielding.
  [[nodiscard]] bool try_post(shard_id target, mailbox_message* m);

  // Shutdown support: hooks run once, on this thread, when a stop begins;
  // the in-flight count keeps the loop alive until it drops to zero.
  void on_stop(std::function<void()> hook) { stop_hooks_.push_back(std::move(hook)); }
  // Runs after the loop ended, on this thread, while the ring still exists:
  // the place to destroy per-shard state that owns ring resources.
  void at_exit(std::function<void()> hook) { exit_hooks_.push_back(std::move(hook)); }
  bool stopping() const { return stopping_; }
  void enter_work() { ++in_flight_; }
  void leave_work() { --in_flight_; }
  int64_t in_flight() const { return in_flight_; }

  uint64_t loop_iterations() const { return loop_iterations_; }
  const shard_stats& stats() const { return stats_; }
  // uring_op's bookkeeping of the operations it has in flight.
  void note_op_submitted() { ++stats_.ops_in_flight; }
  void note_op_completed() { --stats_.ops_in_flight; }

 private:
  friend class runtime;
  void bind_to_thread();
  void setup_ring();
  void run_loop();
  void run_ready();
  void drain_mailboxes();
  void wake_targets();
  void wait_and_reap();
  void poll_briefly();
  // Runs the pollers; returns how long the loop may sleep (0: not at all).
  uint64_t run_pollers(uint64_t now_ns);
  // Counts what one io_uring submit call (its return value) submitted.
  void note_submit(int submitted);
  void begin_stop();
  bool try_finish_drain();
  void arm_external_wakeup();
  static void on_external_wakeup(io_completion* self, int32_t res, uint32_t flags);

  runtime* owner_;
  shard_id id_;
  shard_options options_;
  io_uring ring_{};
  ring_mode mode_ = ring_mode::plain;
  bool sqpoll_ = false;
  std::deque<std::coroutine_handle<>> ready_;
  timer_queue timers_;
  std::vector<bool> wake_pending_;
  std::vector<std::function<void()>> stop_hooks_;
  std::vector<std::function<void()>> exit_hooks_;
  bool stopping_ = false;
  bool drained_ = false;
  uint64_t stop_deadline_ns_ = 0;
  int64_t in_flight_ = 0;
  uint64_t loop_iterations_ = 0;
  shard_stats stats_;
  bool busy_ = false;  // the last reap found completions
  std::vector<std::pair<uint32_t, poller>> pollers_;
  uint32_t next_poller_id_ = 1;
  uint64_t poll_worked_ns_ = 0;
  uint64_t poll_sleep_ns_ = 0;
  int event_fd_ = -1;
  uint64_t event_value_ = 0;
  io_completion external_wakeup_{};
};

// RAII: counts a unit of work as in flight on the current shard.
class work_guard {
 public:
  explicit work_guard(shard& s) : shard_(&s) { s.enter_work(); }
  ~work_guard() {
    if (shard_ != nullptr) shard_->leave_work();
  }
  work_guard(work_guard&& other) noexcept : shard_(other.shard_) { other.shard_ = nullptr; }
  work_guard(const work_guard&) = delete;
  work_guard& operator=(const work_guard&) = delete;
  work_guard& operator=(work_guard&&) = delete;

 private:
  shard* shard_;
};

}  // namespace rill::runtime
