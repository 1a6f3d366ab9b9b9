// aligned_buffer: a heap buffer whose start is aligned for O_DIRECT.
// Owned by one object; move-only.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "base/assert.h"

namespace rill::storage {

// zeros: every byte zero (what is written must never be stale memory);
// none: left as allocated, for buffers whose users write every byte they
// use (staging buffers: only the touched pages become resident).
enum class buffer_fill : uint8_t { zeros, none };

class aligned_buffer {
 public:
  aligned_buffer() = default;
  aligned_buffer(size_t capacity, size_t alignment, buffer_fill fill = buffer_fill::zeros)
      : capacity_(capacity) {
    RILL_ASSERT(capacity % alignment == 0, "capacity %zu not a multiple of %zu", capacity,
                alignment);
    data_ = static_cast<uint8_t*>(std::aligned_alloc(alignment, capacity));
    RILL_ASSERT(data_ != nullptr, "aligned_alloc of %zu bytes failed", capacity);
    if (fill == buffer_fill::zeros) std::memset(data_, 0, capacity);
  }
  aligned_buffer(aligned_buffer&& o) noexcept
      : data_(std::exchange(o.data_, nullptr)), capacity_(std::exchange(o.capacity_, 0)) {}
  aligned_buffer& operator=(aligned_buffer&& o) noexcept {
    if (this != &o) {
      std::free(data_);
      data_ = std::exchange(o.data_, nullptr);
      capacity_ = std::exchange(o.capacity_, 0);
    }
    return *this;
  }
  aligned_buffer(const aligned_buffer&) = delete;
  aligned_buffer& operator=(const aligned_buffer&) = delete;
  ~aligned_buffer() { std::free(data_); }

  uint8_t* data() { return data_; }
  const uint8_t* data() const { return data_; }
  size_t capacity() const { return capacity_; }

 private:
  uint8_t* data_ = nullptr;
  size_t capacity_ = 0;
};

}  // namespace rill::storage
