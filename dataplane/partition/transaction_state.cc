#include "dataplane/partition/transaction_state.h"

#include <algorithm>

#include "base/assert.h"

namespace rill::partition {

std::optional<storage::aborted_txn> transaction_state::observe(const txn_batch& b) {
  if (b.producer_id < 0 || !b.transactional) return std::nullopt;
  RILL_ASSERT(b.base_offset >= 0 && b.base_offset <= b.last_offset,
              "batch of producer %lld at %lld..%lld", static_cast<long long>(b.producer_id),
              static_cast<long long>(b.base_offset), static_cast<long long>(b.last_offset));
  if (!b.marker) {
    open_.try_emplace(b.producer_id, b.base_offset);
    return std::nullopt;
  }
  auto it = open_.find(b.producer_id);
  if (it == open_.end()) return std::nullopt;  // a marker for a transaction with no data here
  int64_t first = it->second;
  open_.erase(it);
  decided_.push_back({first, b.base_offset});
  if (b.marker->type != storage::marker_type::abort) return std::nullopt;
  return storage::aborted_txn{b.producer_id, first, b.base_offset};
}

int64_t transaction_state::last_stable_offset(int64_t high_watermark) {
  std::erase_if(decided_,
                [high_watermark](const decided& d) { return d.marker_offset < high_watermark; });
  int64_t lso = high_watermark;
  for (const auto& [producer, first] : open_) lso = std::min(lso, first);
  for (const decided& d : decided_) lso = std::min(lso, d.first_offset);
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
}

}  // namespace rill::partition
