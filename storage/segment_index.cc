#include "storage/segment_index.h"

#include <algorithm>

#include "base/assert.h"
#include "base/byte_order.h"
#include "storage/index_format.h"

namespace rill::storage {

void offset_index::on_batch(uint32_t relative_offset, uint32_t position, uint32_t size) {
  if (entries_.empty() || bytes_since_entry_ >= interval_bytes_) {
    RILL_ASSERT(entries_.empty() || (entries_.back().relative_offset < relative_offset &&
                                     entries_.back().position < position),
                "index entries must grow");
    entries_.push_back({relative_offset, position});
    bytes_since_entry_ = 0;
  }
  bytes_since_entry_ += size;
}

uint32_t offset_index::lookup(uint32_t relative_offset) const {
  auto it = std::upper_bound(entries_.begin(), entries_.end(), relative_offset,
                             [](uint32_t v, const entry& e) { return v < e.relative_offset; });
  if (it == entries_.begin()) return 0;
  return std::prev(it)->position;
}

void offset_index::truncate_to_position(uint32_t position) {
  while (!entries_.empty() && entries_.back().position >= position) entries_.pop_back();
  bytes_since_entry_ = interval_bytes_;  // The next batch starts a fresh entry.
}

std::vector<uint8_t> offset_index::serialize() const {
  std::vector<uint8_t> out(entries_.size() * index_format::offset_entry_bytes);
  for (size_t i = 0; i < entries_.size(); ++i) {
    uint8_t* p = out.data() + i * index_format::offset_entry_bytes;
    store_be32(p, entries_[i].relative_offset);
    store_be32(p + 4, entries_[i].position);
  }
  return out;
}

bool offset_index::parse(std::span<const uint8_t> bytes, uint64_t log_bytes) {
  entries_.clear();
  if (bytes.size() % index_format::offset_entry_bytes != 0) return false;
  for (size_t at = 0; at < bytes.size(); at += index_format::offset_entry_bytes) {
    entry e{load_be32(bytes.data() + at), load_be32(bytes.data() + at + 4)};
    bool grows = entries_.empty() || (e.relative_offset > entries_.back().relative_offset &&
                                      e.position > entries_.back().position);
    if (!grows || e.position >= log_bytes) {
      entries_.clear();
      return false;
    }
    entries_.push_back(e);
  }
  bytes_since_entry_ = interval_bytes_;
  return true;
}

void time_index::on_batch(int64_t max_timestamp_ms, uint32_t relative_offset) {
  if (!entries_.empty() && max_timestamp_ms <= entries_.back().timestamp_ms) return;
  entries_.push_back({max_timestamp_ms, relative_offset});
}

uint32_t time_index::lookup(int64_t timestamp_ms) const {
  // The batch that first reached timestamp_ms is at or after the entry
  // before the first entry at or above it.
  auto it = std::lower_bound(entries_.begin(), entries_.end(), timestamp_ms,
                             [](const entry& e, int64_t v) { return e.timestamp_ms < v; });
  if (it == entries_.begin()) return 0;
  return std::prev(it)->relative_offset;
}

void time_index::truncate_to_offset(uint32_t relative_offset) {
  while (!entries_.empty() && entries_.back().relative_offset >= relative_offset)
    entries_.pop_back();
}

std::vector<uint8_t> time_index::serialize() const {
  std::vector<uint8_t> out(entries_.size() * index_format::time_entry_bytes);
  for (size_t i = 0; i < entries_.size(); ++i) {
    uint8_t* p = out.data() + i * index_format::time_entry_bytes;
    store_be64(p, static_cast<uint64_t>(entries_[i].timestamp_ms));
    store_be32(p + 8, entries_[i].relative_offset);
  }
  return out;
}

bool time_index::parse(std::span<const uint8_t> bytes) {
  entries_.clear();
  if (bytes.size() % index_format::time_entry_bytes != 0) return false;
  for (size_t at = 0; at < bytes.size(); at += index_format::time_entry_bytes) {
    entry e{static_cast<int64_t>(load_be64(bytes.data() + at)), load_be32(bytes.data() + at + 8)};
    if (!entries_.empty() && (e.timestamp_ms <= entries_.back().timestamp_ms ||
                              e.relative_offset < entries_.back().relative_offset)) {
      entries_.clear();
      return false;
    }
    entries_.push_back(e);
  }
  return true;
}

}  // namespace rill::storage
