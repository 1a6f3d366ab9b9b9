// The pieces of log compaction that need no file: the map from each key to
// its latest offset, and the rewrite of one batch without the records a
// compaction drops. partition_log::compact() (partition_log_compact.cc)
// drives them over segment files.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "storage/record_reader.h"

namespace rill::storage {

// The latest offset of each key seen, keyed by a 128-bit hash of the key
// (two independent 64-bit hashes): two keys would have to collide in both
// for a record to be dropped wrongly. Bounded: about 40 bytes per key.
class key_map {
 public:
  static constexpr size_t k_bytes_per_entry = 40;
  explicit key_map(size_t entries_max) : entries_max_(entries_max) {}
  bool full() const { return map_.size() >= entries_max_; }
  size_t size() const { return map_.size(); }
  // Remembers offset for key if it is the latest seen.
  void put(std::span<const uint8_t> key, int64_t offset);
  std::optional<int64_t> latest(std::span<const uint8_t> key) const;

 private:
  struct hash128 {
    uint64_t a;
    uint64_t b;
    bool operator==(const hash128&) const = default;
  };
  struct hash128_hasher {
    size_t operator()(const hash128& h) const { return h.a; }
  };
  static hash128 hash_of(std::span<const uint8_t> key);
  size_t entries_max_;
  std::unordered_map<hash128, int64_t, hash128_hasher> map_;
};

struct filtered_batch {
  std::vector<uint8_t> bytes;  // the batch to keep (possibly with no records)
  int removed = 0;             // records dropped
};

// Rewrites one whole, valid batch without the records keep() refuses. The
// batch keeps its base offset, last offset delta, attributes, producer
// fields and timestamps, so offsets never change and the batches of a
// segment stay contiguous; its record count and CRC are recomputed. A
// compressed batch is inflated, filtered and compressed again with its own
// codec (an emptied one becomes a bare header without a codec, as Kafka
// writes one). A batch that loses nothing comes back byte for byte;
// control batches, and batches that will not inflate, are never filtered.
filtered_batch filter_batch(std::span<const uint8_t> batch,
                            const std::function<bool(const record_view&)>& keep);

}  // namespace rill::storage
