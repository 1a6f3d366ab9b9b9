#include "dataplane/partition/transaction_state.h"

#include <algorithm>
#include <sstream>

#include "base/assert.h"

namespace rill::partition {

std::optional<storage::aborted_txn> transaction_state::observe(const txn_batch& b) {
  if (b.producer_id < 0 || !b.transactional) return std::nullopt;
  RILL_ASSERT(b.base_offset >= 0 && b.base_offset <= b.last_offset,
              "batch of producer %lld at %lld..%lld", static_cast<long long>(b.producer_id),
              static_cast<long long>(b.base_offset), static_cast<long long>(b.last_offset));
  if (!b.marker) {
    changed_ = open_.try_emplace(b.producer_id, b.base_offset).second || changed_;
    return std::nullopt;
  }
  auto it = open_.find(b.producer_id);
  if (it == open_.end()) return std::nullopt;  // a marker for a transaction with no data here
  int64_t first = it->second;
  open_.erase(it);
  changed_ = true;
  decided_.push_back({first, b.base_offset});
  if (b.marker->type != storage::marker_type::abort) return std::nullopt;
  return storage::aborted_txn{b.producer_id, first, b.base_offset};
}

int64_t transaction_state::last_stable_offset(int64_t high_watermark) {
  std::erase_if(decided_,
                [high_watermark](const decided& d) { return d.marker_offset < high_watermark; });
  return stable_offset(high_watermark);
}

int64_t transaction_state::stable_offset(int64_t high_watermark) const {
  int64_t lso = high_watermark;
  for (const auto& [producer, first] : open_) lso = std::min(lso, first);
  for (const decided& d : decided_) {
    if (d.marker_offset >= high_watermark) lso = std::min(lso, d.first_offset);
  }
  return lso;
}

std::optional<int64_t> transaction_state::open_transaction(int64_t producer_id) const {
  auto it = open_.find(producer_id);
  if (it == open_.end()) return std::nullopt;
  return it->second;
}

void transaction_state::clear() {
  open_.clear();
  decided_.clear();
  changed_ = true;
}

std::string transaction_state::checkpoint(int64_t log_end) const {
  std::ostringstream out;
  out << "0\n" << log_end << "\n" << open_.size() << "\n";
  for (const auto& [producer, first] : open_) out << producer << " " << first << "\n";
  return out.str();
}

std::optional<int64_t> transaction_state::restore_from(const std::string& checkpoint) {
  std::istringstream in(checkpoint);
  int version = -1;
  int64_t log_end = -1;
  size_t count = 0;
  if (!(in >> version >> log_end >> count) || version != 0 || log_end < 0) return std::nullopt;
  // Nothing open then: a transaction opened since began after log_end and,
  // unless the process died within a checkpoint interval of it, was
  // checkpointed itself; the recent window covers the rest.
  int64_t start = INT64_MAX;
  for (size_t i = 0; i < count; ++i) {
    int64_t producer = -1;
    int64_t first = -1;
    if (!(in >> producer >> first) || first < 0) return std::nullopt;
    start = std::min(start, first);
  }
  return start;
}

}  // namespace rill::partition
