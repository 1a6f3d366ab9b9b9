// spsc_queue<T>: a bounded, lock-free single-producer/single-consumer ring.
//
// Used for the cross-core mailboxes: exactly one shard pushes and exactly one
// shard pops. Capacity is fixed at construction (a power of two); push()
// fails when the ring is full so that the producer applies back-pressure
// instead of growing memory.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <new>

#include "base/assert.h"

namespace rill::runtime {

template <typename T>
class spsc_queue {
 public:
  explicit spsc_queue(size_t capacity) : mask_(capacity - 1), slots_(new T[capacity]) {
    RILL_ASSERT(capacity >= 2 && (capacity & (capacity - 1)) == 0,
                "capacity %zu must be a power of two", capacity);
  }

  // Producer side. Returns false when full.
  bool push(T value) {
    size_t tail = tail_.load(std::memory_order_relaxed);
    if (tail - head_cache_ > mask_) {
      head_cache_ = head_.load(std::memory_order_acquire);
      if (tail - head_cache_ > mask_) return false;
    }
    slots_[tail & mask_] = std::move(value);
    tail_.store(tail + 1, std::memory_order_release);
    return true;
  }

  // Consumer side. Returns false when empty.
  bool pop(T* out) {
    size_t head = head_.load(std::memory_order_relaxed);
    if (head == tail_cache_) {
      tail_cache_ = tail_.load(std::memory_order_acquire);
      if (head == tail_cache_) return false;
    }
    *out = std::move(slots_[head & mask_]);
    head_.store(head + 1, std::memory_order_release);
    return true;
  }

  size_t capacity() const { return mask_ + 1; }

 private:
  static constexpr size_t k_cache_line = 64;
  const size_t mask_;
  std::unique_ptr<T[]> slots_;
  alignas(k_cache_line) std::atomic<size_t> head_{0};
  size_t tail_cache_ = 0;  // Consumer's view of tail_.
  alignas(k_cache_line) std::atomic<size_t> tail_{0};
  size_t head_cache_ = 0;  // Producer's view of head_.
};

}  // namespace rill::runtime
