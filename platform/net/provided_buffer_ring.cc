#include "platform/net/provided_buffer_ring.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>

#include "base/assert.h"

namespace rill::net {

provided_buffer_ring::provided_buffer_ring(runtime::shard& s, buffer_ring_options options)
    : shard_(&s), options_(options) {
  uint32_t n = options.buffer_count;
  RILL_ASSERT(n > 0 && n <= 32768 && (n & (n - 1)) == 0, "buffer_count %u", n);
  ring_bytes_ = n * sizeof(io_uring_buf);
  void* mem =
      mmap(nullptr, ring_bytes_, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  RILL_ASSERT(mem != MAP_FAILED, "mmap buffer ring: %s", strerror(errno));
  ring_ = static_cast<io_uring_buf_ring*>(mem);
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<uint64_t>(ring_);
  reg.ring_entries = n;
  reg.bgid = options.group_id;
  int rc = io_uring_register_buf_ring(s.ring(), &reg, 0);
  RILL_ASSERT(rc == 0, "io_uring_register_buf_ring: %s", strerror(-rc));
  io_uring_buf_ring_init(ring_);
  storage_.reset(new uint8_t[static_cast<size_t>(n) * options.buffer_bytes]);
  int mask = io_uring_buf_ring_mask(n);
  for (uint32_t i = 0; i < n; ++i) {
    io_uring_buf_ring_add(ring_, storage_.get() + static_cast<size_t>(i) * options.buffer_bytes,
                          options.buffer_bytes, static_cast<uint16_t>(i), mask,
                          static_cast<int>(i));
  }
  io_uring_buf_ring_advance(ring_, static_cast<int>(n));
}

provided_buffer_ring::~provided_buffer_ring() {
  io_uring_unregister_buf_ring(shard_->ring(), options_.group_id);
  munmap(ring_, ring_bytes_);
}

std::span<const uint8_t> provided_buffer_ring::bytes(uint16_t buffer_id, size_t length) const {
  RILL_ASSERT(buffer_id < options_.buffer_count && length <= options_.buffer_bytes,
              "buffer %u length %zu", buffer_id, length);
  return {storage_.get() + static_cast<size_t>(buffer_id) * options_.buffer_bytes, length};
}

void provided_buffer_ring::recycle(uint16_t buffer_id) {
  RILL_ASSERT(buffer_id < options_.buffer_count, "buffer %u", buffer_id);
  io_uring_buf_ring_add(
      ring_, storage_.get() + static_cast<size_t>(buffer_id) * options_.buffer_bytes,
      options_.buffer_bytes, buffer_id, io_uring_buf_ring_mask(options_.buffer_count), 0);
  io_uring_buf_ring_advance(ring_, 1);
}

}  // namespace rill::net
