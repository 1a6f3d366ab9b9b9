// staging_pool: the write-staging memory of one shard's partition logs.
//
// A log stages appends in an aligned buffer until its flusher writes them;
// the buffer is sized to what the log is writing (a power of two of pages,
// up to log_options::staging_bytes_max) and shrinks back to one page (the
// carried tail page) when the log goes idle, so an idle partition costs 4
// KiB here, not a full-size buffer. Every buffer comes from the pool and
// goes back to it: the pool counts the bytes out against a budget (appends
// that would pass it wait for other logs' writes to give buffers back:
// back-pressure, never growth past the budget) and keeps a few free
// buffers for reuse so a busy log does not page-fault a new one per write.
//
// Owned by the shard (or by a log that was given none); used only on the
// shard's thread. Outlives every log that uses it.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <vector>

#include "base/waiter_list.h"
#include "storage/aligned_buffer.h"

namespace rill::storage {

class staging_pool {
 public:
  // budget_bytes: bytes out at once (0: unlimited); free_bytes_max: free
  // buffers kept for reuse.
  staging_pool(size_t budget_bytes, size_t free_bytes_max);
  staging_pool(const staging_pool&) = delete;
  staging_pool& operator=(const staging_pool&) = delete;
  ~staging_pool();

  // The capacity the pool hands out for a request of `bytes`: a power of
  // two of pages, at most cap (which it also is when the power would pass it).
  static size_t size_class(size_t bytes, size_t cap);

  // A buffer of exactly `capacity` bytes (a size_class), or nullopt when it
  // would take the pool past its budget (co_await wait(), then retry). The
  // first buffer out always fits, so one log can always make progress.
  // One-page buffers (each log's carried tail page: a fixed cost per log)
  // are counted apart and never refused.
  std::optional<aligned_buffer> try_take(size_t capacity);
  // A buffer of `capacity` bytes whatever the budget: for the one page a log
  // needs to hold its tail (a fixed cost per log, not a working buffer).
  aligned_buffer take(size_t capacity);
  // Returns a buffer (any capacity; empty ones are ignored) and wakes waiters.
  void give_back(aligned_buffer buffer);
  waiter_list::awaiter wait() { return room_.wait(); }

  // Working buffers out (against the budget), and one-page buffers out.
  size_t out_bytes() const { return out_bytes_; }
  size_t page_bytes() const { return page_bytes_; }
  size_t budget_bytes() const { return budget_bytes_; }
  size_t free_bytes() const { return free_bytes_; }
  // Appends that waited for room (a measure of memory pressure).
  uint64_t waits() const { return waits_; }
  void note_wait() { ++waits_; }

 private:
  aligned_buffer take_free_or_new(size_t capacity);

  size_t budget_bytes_;
  size_t free_bytes_max_;
  size_t out_bytes_ = 0;
  size_t page_bytes_ = 0;
  size_t free_bytes_ = 0;
  uint64_t waits_ = 0;
  std::map<size_t, std::vector<aligned_buffer>> free_;  // by capacity
  waiter_list room_;
};

}  // namespace rill::storage
