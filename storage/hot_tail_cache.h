// hot_tail_cache: the in-memory tails of one shard's partition logs under
// one byte budget.
//
// Each log keeps its most recent batches in memory (reads of them are
// zero-copy); the bytes of all of them count against the shard's budget.
// When an append takes the total past it, logs give up their oldest
// written batches, the least recently read log first, so the partitions
// that consumers and followers are reading keep their tails and idle ones
// keep none. Reads of evicted data go to the disk.
//
// Owned by the shard; used only on its thread. Members join and leave
// explicitly and must leave before they are destroyed.
#pragma once

#include <cstddef>
#include <cstdint>

namespace rill::storage {

class hot_tail_cache {
 public:
  // A log, as the cache sees it.
  class member {
   public:
    // Gives up at least `bytes` of the oldest hot tail if it can (only what
    // is already written); returns the bytes freed (also reported through
    // shrank()).
    virtual size_t evict_hot_tail(size_t bytes) = 0;
    // What this member holds in the cache.
    size_t hot_bytes() const { return bytes_; }

   protected:
    ~member() = default;

   private:
    friend class hot_tail_cache;
    member* prev_ = nullptr;
    member* next_ = nullptr;
    size_t bytes_ = 0;
    bool joined_ = false;
  };

  explicit hot_tail_cache(size_t budget_bytes) : budget_bytes_(budget_bytes) {}
  hot_tail_cache(const hot_tail_cache&) = delete;
  hot_tail_cache& operator=(const hot_tail_cache&) = delete;
  ~hot_tail_cache();

  void join(member* m);
  // REQUIRES: m has no bytes left in the cache.
  void leave(member* m);
  // m was read: it is now the most recently read.
  void read(member* m);
  // m holds `bytes` more; evicts until the total is within budget again.
  void grew(member* m, size_t bytes);
  void shrank(member* m, size_t bytes);

  size_t bytes() const { return bytes_; }
  size_t budget_bytes() const { return budget_bytes_; }
  uint64_t evicted_bytes() const { return evicted_bytes_; }

 private:
  void unlink(member* m);
  void link_last(member* m);

  size_t budget_bytes_;
  size_t bytes_ = 0;
  uint64_t evicted_bytes_ = 0;
  bool evicting_ = false;
  member* head_ = nullptr;  // least recently read
  member* tail_ = nullptr;  // most recently read
};

}  // namespace rill::storage
