// provided_buffer_ring: a ring of receive buffers registered with a shard's
// io_uring (IORING_REGISTER_PBUF_RING), from which the kernel picks a buffer
// for each multishot receive completion.
//
// Owned by the shard's tcp_server and used only on that shard. Buffers are
// allocated once at start-up; a buffer handed out by a CQE belongs to the
// receiver until it calls recycle().
#pragma once

#include <liburing.h>

#include <cstdint>
#include <memory>
#include <span>

#include "platform/runtime/shard.h"

namespace rill::net {

struct buffer_ring_options {
  uint16_t group_id = 0;
  uint32_t buffer_count = 256;  // Power of two.
  uint32_t buffer_bytes = 16 * 1024;
};

class provided_buffer_ring {
 public:
  provided_buffer_ring(runtime::shard& s, buffer_ring_options options);
  ~provided_buffer_ring();
  provided_buffer_ring(const provided_buffer_ring&) = delete;
  provided_buffer_ring& operator=(const provided_buffer_ring&) = delete;

  uint16_t group_id() const { return options_.group_id; }
  std::span<const uint8_t> bytes(uint16_t buffer_id, size_t length) const;
  // Gives the buffer back to the kernel.
  void recycle(uint16_t buffer_id);

 private:
  runtime::shard* shard_;
  buffer_ring_options options_;
  io_uring_buf_ring* ring_ = nullptr;
  size_t ring_bytes_ = 0;
  std::unique_ptr<uint8_t[]> storage_;
};

}  // namespace rill::net
