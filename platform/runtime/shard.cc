#include "platform/runtime/shard.h"

#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/assert.h"
#include "base/log.h"
#include "platform/runtime/clock.h"
#include "platform/runtime/mailbox_message.h"
#include "platform/runtime/runtime.h"

namespace rill::runtime {
namespace {

thread_local shard* t_current_shard = nullptr;

// user_data of the MSG_RING CQE that wakes a shard for its mailboxes.
constexpr uint64_t k_wake_user_data = 1;
constexpr unsigned k_cqe_burst_max = 64;
constexpr unsigned k_mailbox_burst_max = 64;
constexpr uint64_t k_stop_poll_ns = 10 * k_ns_per_ms;

}  // namespace

const char* ring_mode_name(ring_mode mode) {
  switch (mode) {
    case ring_mode::defer_taskrun:
      return "single_issuer+defer_taskrun";
    case ring_mode::coop_taskrun:
      return "coop_taskrun";
    case ring_mode::plain:
      return "plain";
  }
  return "?";
}

shard::shard(runtime* owner, shard_id id, shard_options options)
    : owner_(owner), id_(id), options_(options) {
  RILL_ASSERT(owner != nullptr);
  RILL_ASSERT(options.ring_entries >= 8, "ring_entries %u too small", options.ring_entries);
  event_fd_ = eventfd(0, EFD_CLOEXEC);
  RILL_ASSERT(event_fd_ >= 0, "eventfd: %s", strerror(errno));
  external_wakeup_.on_cqe = &shard::on_external_wakeup;
}

shard::~shard() {
  if (ring_.ring_fd > 0) io_uring_queue_exit(&ring_);
  if (event_fd_ >= 0) close(event_fd_);
}

shard* shard::current() {
  return t_current_shard;
}

void shard::bind_to_thread() {
  t_current_shard = this;
  set_log_shard_id(static_cast<int>(id_.value()));
}

void shard::setup_ring() {
  wake_pending_.assign(owner_->shard_count(), false);
  struct attempt {
    unsigned flags;
    ring_mode mode;
  };
  static constexpr attempt attempts[] = {
      {IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN, ring_mode::defer_taskrun},
      {IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN, ring_mode::coop_taskrun},
      {IORING_SETUP_COOP_TASKRUN, ring_mode::coop_taskrun},
      {0, ring_mode::plain},
  };
  if (options_.sqpoll_idle_ms > 0) {
    io_uring_params params{};
    params.flags = IORING_SETUP_SQPOLL | IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL;
    params.sq_thread_idle = options_.sqpoll_idle_ms;
    params.cq_entries = options_.ring_entries * 4;
    int rc = io_uring_queue_init_params(options_.ring_entries, &ring_, &params);
    if (rc == 0) {
      mode_ = ring_mode::plain;
      sqpoll_ = true;
      RILL_INFO("runtime", "io_uring ready: %u entries, mode sqpoll (idle %u ms)",
                options_.ring_entries, options_.sqpoll_idle_ms);
      return;
    }
    RILL_WARN("runtime", "io_uring refused SQPOLL (%s); the shard submits itself", strerror(-rc));
  }
  int last_error = 0;
  for (const attempt& a : attempts) {
    if (a.mode < owner_->options().preferred_ring_mode) continue;
    io_uring_params params{};
    params.flags = a.flags | IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL;
    params.cq_entries = options_.ring_entries * 4;
    int rc = io_uring_queue_init_params(options_.ring_entries, &ring_, &params);
    if (rc == 0) {
      mode_ = a.mode;
      RILL_INFO("runtime", "io_uring ready: %u entries, mode %s", options_.ring_entries,
                ring_mode_name(mode_));
      return;
    }
    last_error = -rc;
    RILL_INFO("runtime", "io_uring refused mode %s (%s); trying the next one",
              ring_mode_name(a.mode), strerror(-rc));
  }
  RILL_ASSERT(false, "io_uring_queue_init failed in every mode: %s", strerror(last_error));
}

void shard::reserve_sqes(unsigned n) {
  if (io_uring_sq_space_left(&ring_) < n) note_submit(io_uring_submit(&ring_));
}

io_uring_sqe* shard::get_sqe() {
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  if (sqe == nullptr) {
    note_submit(io_uring_submit(&ring_));
    sqe = io_uring_get_sqe(&ring_);
  }
  RILL_ASSERT(sqe != nullptr, "no SQE after submitting the full queue");
  return sqe;
}

void shard::cancel_io(io_completion* target) {
  io_uring_sqe* sqe = get_sqe();
  io_uring_prep_cancel(sqe, target, 0);
  io_uring_sqe_set_data64(sqe, 0);
}

void shard::schedule(std::coroutine_handle<> h) {
  RILL_ASSERT(h, "scheduling an empty coroutine handle");
  ready_.push_back(h);
}

bool shard::try_post(shard_id target, mailbox_message* m) {
  RILL_ASSERT(target.value() < owner_->shard_count(), "no shard %u", target.value());
  RILL_ASSERT(target != id_, "posting to self");
  if (!owner_->mailbox(id_, target).push(m)) return false;
  wake_pending_[target.value()] = true;
  return true;
}

void shard::run_ready() {
  // Only what was ready at the start: new work waits for the next burst so
  // that I/O completions are never starved.
  size_t burst = ready_.size();
  while (burst-- > 0 && !ready_.empty()) {
    std::coroutine_handle<> h = ready_.front();
    ready_.pop_front();
    h.resume();
  }
}

void shard::drain_mailboxes() {
  for (uint32_t from = 0; from < owner_->shard_count(); ++from) {
    if (from == id_.value()) continue;
    auto& queue = owner_->mailbox(shard_id(from), id_);
    mailbox_message* m = nullptr;
    for (unsigned i = 0; i < k_mailbox_burst_max && queue.pop(&m); ++i) {
      RILL_ASSERT(m->is_reply ? m->source == id_ : m->target == id_, "misrouted message");
      if (m->is_reply) {
        m->complete_on_source(*this);
      } else {
        m->run_on_target(*this);
      }
    }
  }
}

void shard::wake_targets() {
  for (uint32_t target = 0; target < wake_pending_.size(); ++target) {
    if (!wake_pending_[target]) continue;
    wake_pending_[target] = false;
    io_uring_sqe* sqe = get_sqe();
    io_uring_prep_msg_ring(sqe, owner_->shard_at(shard_id(target)).ring_fd(), 0, k_wake_user_data,
                           0);
    io_uring_sqe_set_data64(sqe, 0);
    sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
  }
}

uint32_t shard::add_poller(poller p) {
  RILL_ASSERT(p.poll != nullptr, "a poller without a function");
  uint32_t id = next_poller_id_++;
  pollers_.emplace_back(id, std::move(p));
  return id;
}

void shard::remove_poller(uint32_t id) {
  auto it = std::find_if(pollers_.begin(), pollers_.end(),
                         [id](const auto& entry) { return entry.first == id; });
  RILL_ASSERT(it != pollers_.end(), "no poller %u", id);
  pollers_.erase(it);
}

uint64_t shard::run_pollers(uint64_t now_ns) {
  bool worked = false;
  uint64_t spin_ns = 0;
  uint64_t sleep_max_ns = UINT64_MAX;
  // By index: a poller may add or remove pollers.
  for (size_t i = 0; i < pollers_.size(); ++i) {
    spin_ns = std::max(spin_ns, pollers_[i].second.spin_ns);
    sleep_max_ns = std::min(sleep_max_ns, pollers_[i].second.idle_sleep_max_ns);
    worked = pollers_[i].second.poll() || worked;
  }
  if (worked) poll_worked_ns_ = now_ns;
  if (worked || now_ns - poll_worked_ns_ < spin_ns) {
    poll_sleep_ns_ = 0;
  } else {
    poll_sleep_ns_ = std::min(std::max<uint64_t>(poll_sleep_ns_ * 2, k_ns_per_us), sleep_max_ns);
  }
  return poll_sleep_ns_;
}

void shard::poll_briefly() {
  uint64_t limit_ns = owner_->options().idle_poll_us * k_ns_per_us;
  if (limit_ns == 0 || !busy_ || !ready_.empty()) return;
  uint64_t deadline = monotonic_ns() + limit_ns;
  note_submit(io_uring_submit_and_get_events(&ring_));
  while (io_uring_cq_ready(&ring_) == 0 && monotonic_ns() < deadline) {
    io_uring_get_events(&ring_);
  }
}

void shard::note_submit(int submitted) {
  if (submitted <= 0) return;
  ++stats_.submit_calls;
  stats_.sqes_submitted += static_cast<uint64_t>(submitted);
}

void shard::wait_and_reap() {
  poll_briefly();
  uint64_t now = monotonic_ns();
  uint64_t deadline = timers_.next_deadline_ns();
  if (stopping_) deadline = std::min(deadline, now + k_stop_poll_ns);
  if (!pollers_.empty()) {
    deadline = std::min(deadline, now + run_pollers(now));
    now = monotonic_ns();
  }
  io_uring_cqe* first = nullptr;
  // submit_and_wait_timeout returns -ETIME or -EINTR from its wait, which
  // hides how many SQEs it submitted: count them from the queue instead.
  unsigned queued = io_uring_sq_ready(&ring_);
  if (!ready_.empty() || deadline <= now) {
    __kernel_timespec zero{};
    io_uring_submit_and_wait_timeout(&ring_, &first, 0, &zero, nullptr);
  } else if (deadline == UINT64_MAX) {
    io_uring_submit_and_wait_timeout(&ring_, &first, 1, nullptr, nullptr);
    stats_.waiting_ns += monotonic_ns() - now;
  } else {
    uint64_t wait_ns = deadline - now;
    __kernel_timespec ts{.tv_sec = static_cast<long long>(wait_ns / 1'000'000'000ULL),
                         .tv_nsec = static_cast<long long>(wait_ns % 1'000'000'000ULL)};
    io_uring_submit_and_wait_timeout(&ring_, &first, 1, &ts, nullptr);
    stats_.waiting_ns += monotonic_ns() - now;
  }
  if (queued > 0) note_submit(static_cast<int>(queued - io_uring_sq_ready(&ring_)));
  struct reaped {
    uint64_t user_data;
    int32_t res;
    uint32_t flags;
  };
  io_uring_cqe* cqes[k_cqe_burst_max];
  reaped burst[k_cqe_burst_max];
  bool reaped_any = false;
  for (;;) {
    unsigned n = io_uring_peek_batch_cqe(&ring_, cqes, k_cqe_burst_max);
    if (n == 0) break;
    // Copy out and release the CQ slots before running callbacks, which may
    // submit and reap on their own.
    for (unsigned i = 0; i < n; ++i) {
      burst[i] = {cqes[i]->user_data, cqes[i]->res, cqes[i]->flags};
    }
    io_uring_cq_advance(&ring_, n);
    stats_.cqes_reaped += n;
    reaped_any = true;
    for (unsigned i = 0; i < n; ++i) {
      if (burst[i].user_data == 0 || burst[i].user_data == k_wake_user_data) continue;
      // user_data carries the address of the operation's io_completion.
      auto* c = reinterpret_cast<io_completion*>(  // NOLINT(performance-no-int-to-ptr)
          burst[i].user_data);
      c->on_cqe(c, burst[i].res, burst[i].flags);
    }
    if (n < k_cqe_burst_max) break;
  }
  busy_ = reaped_any;
}

void shard::arm_external_wakeup() {
  io_uring_sqe* sqe = get_sqe();
  io_uring_prep_read(sqe, event_fd_, &event_value_, sizeof(event_value_), 0);
  io_uring_sqe_set_data(sqe, &external_wakeup_);
}

void shard::on_external_wakeup(io_completion* self, int32_t res, uint32_t /*flags*/) {
  shard* s = current();
  RILL_ASSERT(s != nullptr && &s->external_wakeup_ == self);
  if (res < 0 && res != -EINTR && res != -ECANCELED) {
    RILL_WARN("runtime", "eventfd read failed: %s", strerror(-res));
  }
  for (auto& fn : s->owner_->take_external(s->id_.value())) fn();
  s->arm_external_wakeup();
}

void shard::begin_stop() {
  stopping_ = true;
  stop_deadline_ns_ = monotonic_ns() + owner_->options().drain_timeout_ms * k_ns_per_ms;
  RILL_INFO("runtime", "stopping: draining %lld in-flight operations",
            static_cast<long long>(in_flight_));
  // Hooks may register more hooks; iterate by index over a moved-out list.
  std::vector<std::function<void()>> hooks = std::move(stop_hooks_);
  for (auto& hook : hooks) hook();
}

bool shard::try_finish_drain() {
  uint64_t now = monotonic_ns();
  if (in_flight_ > 0 && now < stop_deadline_ns_) return false;
  if (in_flight_ > 0) {
    RILL_WARN("runtime", "drain timed out with %lld operations in flight",
              static_cast<long long>(in_flight_));
  }
  drained_ = true;
  owner_->note_drained();
  return true;
}

void shard::run_loop() {
  stats_.started_ns = monotonic_ns();
  for (;;) {
    ++loop_iterations_;
    run_ready();
    drain_mailboxes();
    if (!stopping_ && owner_->stop_requested_.load(std::memory_order_acquire)) begin_stop();
    if (stopping_ && !drained_) try_finish_drain();
    if (drained_ && owner_->all_drained() && ready_.empty()) break;
    wake_targets();
    wait_and_reap();
    timers_.expire(monotonic_ns());
  }
  for (auto it = exit_hooks_.rbegin(); it != exit_hooks_.rend(); ++it) (*it)();
  exit_hooks_.clear();
  RILL_INFO("runtime", "shard stopped after %llu loop iterations",
            static_cast<unsigned long long>(loop_iterations_));
}

}  // namespace rill::runtime
