// uring_op: an awaitable single-shot io_uring operation on the current shard.
//
//   uring_op op(shard);
//   io_uring_prep_read(op.sqe(), fd, buf, len, offset);
//   int res = co_await op;   // the CQE's res: bytes, 0, or -errno
//
// The op lives in the awaiting coroutine's frame, which stays suspended until
// the CQE arrives, so the user_data pointer is valid for the whole operation.
// with_timeout() links an IORING_OP_LINK_TIMEOUT: on expiry the kernel
// cancels the op and res is -ECANCELED.
#pragma once

#include <coroutine>

#include "base/assert.h"
#include "platform/runtime/clock.h"
#include "platform/runtime/io_completion.h"
#include "platform/runtime/shard.h"

namespace rill::runtime {

class uring_op : public io_completion {
 public:
  explicit uring_op(shard& s) : shard_(&s), sqe_(s.get_sqe()) {
    on_cqe = &uring_op::complete;
    io_uring_sqe_set_data(sqe_, static_cast<io_completion*>(this));
  }
  uring_op(const uring_op&) = delete;
  uring_op& operator=(const uring_op&) = delete;

  // The SQE to prepare. Prep helpers overwrite user_data, so it is restored
  // in await_suspend.
  io_uring_sqe* sqe() { return sqe_; }

  // Cancels the op if it has not completed within timeout_ns.
  uring_op& with_timeout(uint64_t timeout_ns) {
    timeout_ = {.tv_sec = static_cast<long long>(timeout_ns / 1'000'000'000ULL),
                .tv_nsec = static_cast<long long>(timeout_ns % 1'000'000'000ULL)};
    has_timeout_ = true;
    return *this;
  }

  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) {
    waiter_ = h;
    shard_->note_op_submitted();
    io_uring_sqe_set_data(sqe_, static_cast<io_completion*>(this));
    if (has_timeout_) {
      sqe_->flags |= IOSQE_IO_LINK;
      io_uring_sqe* t = shard_->get_sqe();
      io_uring_prep_link_timeout(t, &timeout_, 0);
      io_uring_sqe_set_data64(t, 0);
    }
  }
  int32_t await_resume() const noexcept { return res_; }

 private:
  static void complete(io_completion* self, int32_t res, uint32_t /*flags*/) {
    auto* op = static_cast<uring_op*>(self);
    RILL_ASSERT(op->waiter_, "CQE for an op nobody awaits");
    op->res_ = res;
    op->shard_->note_op_completed();
    op->waiter_.resume();
  }

  shard* shard_;
  io_uring_sqe* sqe_;
  std::coroutine_handle<> waiter_{};
  int32_t res_ = 0;
  bool has_timeout_ = false;
  __kernel_timespec timeout_{};
};

// co_await sleep_for(shard, ns): resumes after at least ns on the shard's
// timer queue.
class sleep_for : public timer_node {
 public:
  sleep_for(shard& s, uint64_t duration_ns) : shard_(&s), duration_ns_(duration_ns) {}
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) {
    waiter_ = h;
    shard_->timers().arm(this, monotonic_ns() + duration_ns_);
  }
  void await_resume() const noexcept {}
  void on_timer() override { waiter_.resume(); }

 private:
  shard* shard_;
  uint64_t duration_ns_;
  std::coroutine_handle<> waiter_{};
};

// co_await yield(shard): lets every other ready coroutine run first.
struct yield {
  shard* shard_;
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) { shard_->schedule(h); }
  void await_resume() const noexcept {}
};

}  // namespace rill::runtime
