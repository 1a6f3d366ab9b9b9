// tcp_connection: one TCP socket served by one shard through io_uring.
//
// Receiving runs as a multishot recv into the shard's provided-buffer ring;
// bytes are appended to the connection's input buffer and the ring buffer is
// recycled at once. When more than input_bytes_max are buffered the recv is
// cancelled and re-armed once the reader consumes (back-pressure to TCP).
// Sending copies nothing: send_all() sends the caller's bytes (kept alive in
// the caller's frame); send_zero_copy() uses SEND_ZC and calls a release
// function on the kernel's notification, so the caller's buffer may be
// reused only then. At most zero_copy_window_max zero-copy sends are
// unacknowledged at once.
//
// Owned by the coroutine that serves it; close() must be awaited before the
// object is destroyed so that no CQE can reach freed memory.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "base/task.h"
#include "platform/net/byte_stream.h"
#include "platform/net/provided_buffer_ring.h"
#include "platform/runtime/io_completion.h"
#include "platform/runtime/shard.h"
#include "platform/runtime/wait_queue.h"

namespace rill::net {

struct connection_options {
  size_t input_bytes_max = 64 * 1024 * 1024;
  uint32_t zero_copy_window_max = 64;
};

struct connection_counters {
  uint64_t bytes_received = 0;
  uint64_t bytes_sent_copied = 0;
  uint64_t bytes_sent_zero_copy = 0;
};

class tcp_connection final : public byte_stream {
 public:
  tcp_connection(runtime::shard& s, int fd, provided_buffer_ring* buffers,
                 connection_options options = {});
  ~tcp_connection() override;
  tcp_connection(const tcp_connection&) = delete;
  tcp_connection& operator=(const tcp_connection&) = delete;

  // Starts receiving. REQUIRES: a provided-buffer ring was given.
  void start_receiving();

  // Waits until at least min_bytes are buffered. Returns false when the peer
  // closed or the socket failed first.
  task<bool> fill(size_t min_bytes) override;
  // As fill(), but also gives up (false) at deadline_ns (monotonic).
  task<bool> fill_until(size_t min_bytes, uint64_t deadline_ns) override;
  std::span<const uint8_t> input() const override;
  void consume(size_t bytes) override;

  // Sends all of data. Returns 0 or -errno.
  task<int> send_all(std::span<const uint8_t> data) override;
  // Sends data with SEND_ZC; release() runs once the kernel no longer needs
  // data (possibly after this task returns). Returns 0 or -errno.
  task<int> send_zero_copy(std::span<const uint8_t> data, std::function<void()> release) override;

  // Stops receiving (peer sees EOF on its writes only after close()).
  void shutdown_read() override;
  // Cancels I/O, waits for the last CQE, closes the socket.
  task<void> close() override;

  int fd() const { return fd_; }
  bool peer_closed() const override { return eof_; }
  std::string peer_name() const override;
  int last_error() const { return error_; }
  const connection_counters& counters() const { return counters_; }

 private:
  struct recv_completion : runtime::io_completion {
    tcp_connection* owner;
  };
  struct zero_copy_send;
  static void on_recv(runtime::io_completion* self, int32_t res, uint32_t flags);
  void arm_recv();
  void compact_input();
  task<int> send_once(std::span<const uint8_t> data, int* sent);

  runtime::shard* shard_;
  int fd_;
  provided_buffer_ring* buffers_;
  connection_options options_;
  recv_completion recv_{};
  bool recv_armed_ = false;
  bool receiving_ = false;
  bool eof_ = false;
  int error_ = 0;
  std::vector<uint8_t> input_;
  size_t input_start_ = 0;
  runtime::wait_queue readable_;
  runtime::wait_queue recv_idle_;
  uint32_t zero_copy_in_flight_ = 0;
  runtime::wait_queue zero_copy_drained_;
  connection_counters counters_;
};

}  // namespace rill::net
