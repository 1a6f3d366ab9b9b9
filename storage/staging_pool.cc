#include "storage/staging_pool.h"

#include <bit>

#include "base/assert.h"
#include "storage/page.h"

namespace rill::storage {

staging_pool::staging_pool(size_t budget_bytes, size_t free_bytes_max)
    : budget_bytes_(budget_bytes), free_bytes_max_(free_bytes_max) {}

staging_pool::~staging_pool() {
  RILL_ASSERT(out_bytes_ == 0 && page_bytes_ == 0, "staging pool destroyed with %zu bytes out",
              out_bytes_ + page_bytes_);
  RILL_ASSERT(room_.empty(), "staging pool destroyed with waiters");
}

size_t staging_pool::size_class(size_t bytes, size_t cap) {
  RILL_ASSERT(cap % k_page == 0 && cap >= k_page, "cap %zu is not a whole number of pages", cap);
  size_t pages = (std::max<size_t>(bytes, 1) + k_page - 1) / k_page;
  size_t rounded = std::bit_ceil(pages) * k_page;
  return std::min(rounded, cap);
}

aligned_buffer staging_pool::take_free_or_new(size_t capacity) {
  auto it = free_.find(capacity);
  if (it != free_.end() && !it->second.empty()) {
    aligned_buffer b = std::move(it->second.back());
    it->second.pop_back();
    free_bytes_ -= capacity;
    return b;
  }
  return aligned_buffer(capacity, k_page, buffer_fill::none);
}

std::optional<aligned_buffer> staging_pool::try_take(size_t capacity) {
  RILL_ASSERT(capacity % k_page == 0 && capacity > 0, "capacity %zu", capacity);
  bool budgeted = capacity > k_page;
  if (budgeted && budget_bytes_ > 0 && out_bytes_ > 0 && out_bytes_ + capacity > budget_bytes_) {
    return std::nullopt;
  }
  return take(capacity);
}

aligned_buffer staging_pool::take(size_t capacity) {
  (capacity > k_page ? out_bytes_ : page_bytes_) += capacity;
  return take_free_or_new(capacity);
}

void staging_pool::give_back(aligned_buffer buffer) {
  size_t capacity = buffer.capacity();
  if (capacity == 0) return;
  size_t& counter = capacity > k_page ? out_bytes_ : page_bytes_;
  RILL_ASSERT(counter >= capacity, "giving back %zu bytes with %zu out", capacity, counter);
  counter -= capacity;
  if (free_bytes_ + capacity <= free_bytes_max_) {
    free_[capacity].push_back(std::move(buffer));
    free_bytes_ += capacity;
  }
  room_.notify_all();
}

}  // namespace rill::storage
