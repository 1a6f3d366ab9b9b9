#include "dataplane/partition/producer_state.h"

#include <algorithm>

namespace rill::partition {
namespace {

int32_t next_sequence(int32_t s) {
  return s == INT32_MAX ? 0 : s + 1;
}

}  // namespace

sequence_check producer_state::check(const batch_identity& b, int64_t* duplicate_base_offset) {
  auto it = producers_.find(b.producer_id);
  if (it == producers_.end()) {
    // A producer this partition has not seen (new, or its state predates a
    // restart): accept from any sequence.
    entry e;
    e.epoch = b.producer_epoch;
    e.last_sequence = b.last_sequence;
    e.batches.push_back({b.first_sequence, b.last_sequence, -1});
    producers_[b.producer_id] = std::move(e);
    return sequence_check::accept;
  }
  entry& e = it->second;
  if (b.producer_epoch < e.epoch) return sequence_check::fenced_epoch;
  if (b.producer_epoch > e.epoch) {
    if (b.first_sequence != 0) return sequence_check::out_of_order;
    e = entry{};
    e.epoch = b.producer_epoch;
  } else {
    for (const recent& r : e.batches) {
      if (r.first_sequence == b.first_sequence && r.last_sequence == b.last_sequence) {
        // Never answer for an append that may still fail: the producer
        // would count as delivered a batch the log then drops.
        if (r.base_offset < 0) return sequence_check::in_flight;
        *duplicate_base_offset = r.base_offset;
        return sequence_check::duplicate;
      }
    }
    if (b.first_sequence != next_sequence(e.last_sequence)) return sequence_check::out_of_order;
  }
  e.last_sequence = b.last_sequence;
  e.batches.push_back({b.first_sequence, b.last_sequence, -1});
  while (e.batches.size() > k_recent_batches_max) e.batches.pop_front();
  return sequence_check::accept;
}

void producer_state::appended(const batch_identity& b, int64_t base_offset) {
  auto it = producers_.find(b.producer_id);
  if (it == producers_.end()) return;
  for (recent& r : it->second.batches) {
    if (r.first_sequence == b.first_sequence) r.base_offset = base_offset;
  }
  it->second.appended_sequence = std::max(it->second.appended_sequence, b.last_sequence);
  it->second.last_timestamp = std::max(it->second.last_timestamp, b.max_timestamp);
}

std::vector<producer_report> producer_state::report() const {
  std::vector<producer_report> out;
  for (const auto& [id, e] : producers_) {
    if (e.appended_sequence < 0) continue;  // nothing of it is in the log yet
    out.push_back({id, e.epoch, e.appended_sequence, e.last_timestamp});
  }
  std::sort(out.begin(), out.end(), [](const producer_report& a, const producer_report& b) {
    return a.producer_id < b.producer_id;
  });
  return out;
}

void producer_state::observe(const batch_identity& b, int64_t base_offset) {
  entry& e = producers_[b.producer_id];
  if (b.producer_epoch > e.epoch) {
    e = entry{};
    e.epoch = b.producer_epoch;
  } else if (b.producer_epoch < e.epoch) {
    return;
  }
  e.last_sequence = b.last_sequence;
  e.appended_sequence = b.last_sequence;
  e.last_timestamp = std::max(e.last_timestamp, b.max_timestamp);
  e.batches.push_back({b.first_sequence, b.last_sequence, base_offset});
  while (e.batches.size() > k_recent_batches_max) e.batches.pop_front();
}

bool producer_state::observe_epoch(int64_t producer_id, int16_t epoch) {
  entry& e = producers_[producer_id];
  if (epoch < e.epoch) return false;
  if (epoch > e.epoch) {
    e = entry{};
    e.epoch = epoch;
  }
  return true;
}

void producer_state::append_failed(const batch_identity& b) {
  auto it = producers_.find(b.producer_id);
  if (it == producers_.end()) return;
  entry& e = it->second;
  // Forget this batch and everything reserved after it: the log dropped
  // them all, and the producer will retry them in order.
  while (!e.batches.empty() && e.batches.back().first_sequence != b.first_sequence)
    e.batches.pop_back();
  if (!e.batches.empty()) e.batches.pop_back();
  e.last_sequence = e.batches.empty() ? b.first_sequence - 1 : e.batches.back().last_sequence;
}

}  // namespace rill::partition
