#include "platform/net/tcp_connection.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/assert.h"
#include "base/log.h"
#include "platform/net/socket_address.h"
#include "platform/runtime/uring_op.h"

namespace rill::net {

// One SEND_ZC submission. Heap-allocated because its notification CQE may
// arrive after the sending coroutine moved on; it frees itself on the last
// CQE. All chunks of one send_zero_copy() share a release_group.
struct tcp_connection::zero_copy_send : runtime::io_completion {
  struct release_group {
    uint32_t pending = 0;
    std::function<void()> release;
  };
  tcp_connection* owner = nullptr;
  std::shared_ptr<release_group> group;
  std::coroutine_handle<> waiter{};
  int32_t res = 0;
  int32_t* res_out = nullptr;

  void finish() {
    owner->zero_copy_in_flight_--;
    owner->zero_copy_drained_.notify_all();
    if (--group->pending == 0 && group->release) group->release();
    delete this;
  }

  static void on_cqe_fn(runtime::io_completion* self, int32_t res, uint32_t flags) {
    auto* op = static_cast<zero_copy_send*>(self);
    if ((flags & IORING_CQE_F_NOTIF) != 0) {
      op->finish();
      return;
    }
    *op->res_out = res;
    std::coroutine_handle<> waiter = op->waiter;
    // No F_MORE: the kernel will send no notification (e.g. the send failed).
    if ((flags & IORING_CQE_F_MORE) == 0) op->finish();
    waiter.resume();
  }
};

tcp_connection::tcp_connection(runtime::shard& s, int fd, provided_buffer_ring* buffers,
                               connection_options options)
    : shard_(&s), fd_(fd), buffers_(buffers), options_(options) {
  RILL_ASSERT(fd >= 0, "bad fd %d", fd);
  recv_.owner = this;
  recv_.on_cqe = &tcp_connection::on_recv;
}

tcp_connection::~tcp_connection() {
  RILL_ASSERT(!recv_armed_ && zero_copy_in_flight_ == 0,
              "connection destroyed with I/O in flight; await close() first");
  if (fd_ >= 0) ::close(fd_);
}

void tcp_connection::start_receiving() {
  RILL_ASSERT(buffers_ != nullptr, "receiving needs a provided-buffer ring");
  receiving_ = true;
  arm_recv();
}

void tcp_connection::arm_recv() {
  RILL_ASSERT(!recv_armed_ && receiving_);
  io_uring_sqe* sqe = shard_->get_sqe();
  io_uring_prep_recv_multishot(sqe, fd_, nullptr, 0, 0);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = buffers_->group_id();
  io_uring_sqe_set_data(sqe, static_cast<runtime::io_completion*>(&recv_));
  recv_armed_ = true;
}

void tcp_connection::on_recv(runtime::io_completion* self, int32_t res, uint32_t flags) {
  tcp_connection* c = static_cast<recv_completion*>(self)->owner;
  if (res > 0) {
    RILL_ASSERT((flags & IORING_CQE_F_BUFFER) != 0, "recv data without a buffer");
    auto id = static_cast<uint16_t>(flags >> IORING_CQE_BUFFER_SHIFT);
    std::span<const uint8_t> bytes = c->buffers_->bytes(id, static_cast<size_t>(res));
    c->compact_input();
    c->input_.insert(c->input_.end(), bytes.begin(), bytes.end());
    c->buffers_->recycle(id);
    c->counters_.bytes_received += static_cast<uint64_t>(res);
  } else if (res == 0) {
    c->eof_ = true;
  } else if (res != -ENOBUFS && res != -ECANCELED) {
    c->error_ = -res;
    c->eof_ = true;
  }
  bool over_limit = c->input_.size() - c->input_start_ >= c->options_.input_bytes_max;
  if ((flags & IORING_CQE_F_MORE) == 0) {
    c->recv_armed_ = false;
    if (!c->eof_ && c->receiving_ && !over_limit) c->arm_recv();
    c->recv_idle_.notify_all();
  } else if (over_limit) {
    c->shard_->cancel_io(&c->recv_);  // Re-armed by fill() once drained.
  }
  c->readable_.notify_all();
}

void tcp_connection::compact_input() {
  if (input_start_ > 0 && input_start_ * 2 >= input_.size()) {
    input_.erase(input_.begin(), input_.begin() + static_cast<std::ptrdiff_t>(input_start_));
    input_start_ = 0;
  }
}

task<bool> tcp_connection::fill(size_t min_bytes) {
  RILL_ASSERT(min_bytes <= options_.input_bytes_max, "fill(%zu) beyond the input limit", min_bytes);
  while (input_.size() - input_start_ < min_bytes) {
    if (eof_) co_return false;
    if (!recv_armed_ && receiving_) arm_recv();
    co_await readable_.wait(*shard_);
  }
  co_return true;
}

task<bool> tcp_connection::fill_until(size_t min_bytes, uint64_t deadline_ns) {
  RILL_ASSERT(min_bytes <= options_.input_bytes_max, "fill(%zu) beyond the input limit", min_bytes);
  while (input_.size() - input_start_ < min_bytes) {
    if (eof_) co_return false;
    if (!recv_armed_ && receiving_) arm_recv();
    if (co_await readable_.wait_until(*shard_, deadline_ns) == runtime::wake_reason::timed_out &&
        input_.size() - input_start_ < min_bytes) {
      co_return false;
    }
  }
  co_return true;
}

std::span<const uint8_t> tcp_connection::input() const {
  return {input_.data() + input_start_, input_.size() - input_start_};
}

void tcp_connection::consume(size_t bytes) {
  RILL_ASSERT(bytes <= input_.size() - input_start_, "consume %zu of %zu", bytes,
              input_.size() - input_start_);
  input_start_ += bytes;
  if (input_start_ == input_.size()) {
    input_.clear();
    input_start_ = 0;
  }
}

task<int> tcp_connection::send_once(std::span<const uint8_t> data, int* sent) {
  runtime::uring_op op(*shard_);
  io_uring_prep_send(op.sqe(), fd_, data.data(), data.size(), MSG_NOSIGNAL);
  int res = co_await op;
  *sent = res;
  co_return res < 0 ? res : 0;
}

task<int> tcp_connection::send_all(std::span<const uint8_t> data) {
  while (!data.empty()) {
    if (fd_ < 0) co_return -EBADF;
    int sent = 0;
    int rc = co_await send_once(data, &sent);
    if (rc < 0) co_return rc;
    if (sent == 0) co_return -EPIPE;
    counters_.bytes_sent_copied += static_cast<uint64_t>(sent);
    data = data.subspan(static_cast<size_t>(sent));
  }
  co_return 0;
}

task<int> tcp_connection::send_zero_copy(std::span<const uint8_t> data,
                                         std::function<void()> release) {
  auto group = std::make_shared<zero_copy_send::release_group>();
  group->release = std::move(release);
  group->pending = 1;  // Held by this coroutine until every chunk is queued.
  int rc = 0;
  while (!data.empty() && rc == 0) {
    while (zero_copy_in_flight_ >= options_.zero_copy_window_max) {
      co_await zero_copy_drained_.wait(*shard_);
    }
    auto* op = new zero_copy_send();
    op->on_cqe = &zero_copy_send::on_cqe_fn;
    op->owner = this;
    op->group = group;
    int32_t res = 0;
    op->res_out = &res;
    group->pending++;
    zero_copy_in_flight_++;
    struct submit_and_wait {
      tcp_connection* c;
      zero_copy_send* op;
      std::span<const uint8_t> data;
      bool await_ready() const noexcept { return false; }
      void await_suspend(std::coroutine_handle<> h) {
        op->waiter = h;
        io_uring_sqe* sqe = c->shard_->get_sqe();
        io_uring_prep_send_zc(sqe, c->fd_, data.data(), data.size(), MSG_NOSIGNAL, 0);
        io_uring_sqe_set_data(sqe, static_cast<runtime::io_completion*>(op));
      }
      void await_resume() const noexcept {}
    };
    co_await submit_and_wait{this, op, data};
    if (res < 0) {
      rc = res;
    } else if (res == 0) {
      rc = -EPIPE;
    } else {
      counters_.bytes_sent_zero_copy += static_cast<uint64_t>(res);
      data = data.subspan(static_cast<size_t>(res));
    }
  }
  if (--group->pending == 0 && group->release) group->release();
  co_return rc;
}

void tcp_connection::shutdown_read() {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_RD);
}

task<void> tcp_connection::close() {
  receiving_ = false;
  if (fd_ < 0) co_return;
  ::shutdown(fd_, SHUT_RDWR);
  if (recv_armed_) shard_->cancel_io(&recv_);
  while (recv_armed_) co_await recv_idle_.wait(*shard_);
  while (zero_copy_in_flight_ > 0) co_await zero_copy_drained_.wait(*shard_);
  readable_.notify_all();
  ::close(fd_);
  fd_ = -1;
}

std::string tcp_connection::peer_name() const {
  sockaddr_in addr{};
  socklen_t len = sizeof(addr);
  if (getpeername(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return "unknown peer";
  socket_address a;
  a.sin = addr;
  return a.to_string();
}

}  // namespace rill::net
