// space_reservations: how much disk one shard's logs may hold preallocated
// ahead of their data, in total.
//
// Each log reserves a window of file space ahead of its writes (fallocate
// or zeros, log.preallocate.method). The window starts small and follows
// the log's write rate: it doubles (up to log.preallocate.bytes) when the
// log used up its last window quickly, and halves when it took long, so an
// idle partition holds little and a busy one writes into space it already
// has. The sum of all windows stays under this total: a log whose window
// would pass it keeps the one it has.
//
// Owned by the shard; used only on its thread.
#pragma once

#include <cstdint>

#include "base/assert.h"

namespace rill::storage {

class space_reservations {
 public:
  explicit space_reservations(uint64_t total_bytes) : total_bytes_(total_bytes) {}
  space_reservations(const space_reservations&) = delete;
  space_reservations& operator=(const space_reservations&) = delete;
  ~space_reservations() { RILL_ASSERT(windows_bytes_ == 0, "logs still hold windows"); }

  // Moves a log's window from `from` to `to` bytes; false (nothing changes)
  // when growing would pass the total (0: unlimited).
  bool resize(uint64_t from, uint64_t to) {
    RILL_ASSERT(windows_bytes_ >= from, "window of %llu with %llu held",
                static_cast<unsigned long long>(from),
                static_cast<unsigned long long>(windows_bytes_));
    if (to > from && total_bytes_ > 0 && windows_bytes_ - from + to > total_bytes_) return false;
    windows_bytes_ = windows_bytes_ - from + to;
    return true;
  }
  uint64_t windows_bytes() const { return windows_bytes_; }
  uint64_t total_bytes() const { return total_bytes_; }

 private:
  uint64_t total_bytes_;
  uint64_t windows_bytes_ = 0;
};

}  // namespace rill::storage
