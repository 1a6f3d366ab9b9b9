#include "dataplane/partition/isr_tracker.h"

#include <algorithm>

#include "base/assert.h"

namespace rill::replication {
namespace {
constexpr int64_t k_recent_fetch_ms = 1000;
constexpr int64_t k_refusal_backoff_ms = 1000;
}  // namespace

isr_tracker::isr_tracker(isr_tracker_options o)
    : self_(o.self.value()),
      replicas_(std::move(o.replicas)),
      isr_(std::move(o.isr)),
      min_insync_(o.min_insync),
      lag_max_ms_(o.lag_max_ms),
      high_watermark_(o.high_watermark.value()) {
  const int64_t now_ms = o.now_ms;
  RILL_ASSERT(in_isr(self_), "a leader outside its ISR");
  RILL_ASSERT(std::find(replicas_.begin(), replicas_.end(), self_) != replicas_.end(),
              "a leader that is not a replica");
  RILL_ASSERT(min_insync_ >= 1 && high_watermark_ >= 0);
  // Followers start with a full lag allowance: a new leader does not drop
  // its ISR before they had a chance to fetch.
  for (int32_t r : replicas_) {
    if (r != self_) followers_[r].last_caught_up_ms = now_ms;
  }
}

bool isr_tracker::in_isr(int32_t r) const {
  return std::find(isr_.begin(), isr_.end(), r) != isr_.end();
}

int64_t isr_tracker::follower_log_end(ids::broker follower) const {
  auto it = followers_.find(follower.value());
  return it == followers_.end() ? -1 : it->second.log_end;
}

std::vector<follower_lag> isr_tracker::lags(int64_t now_ms) const {
  std::vector<follower_lag> out;
  out.reserve(followers_.size());
  for (const auto& [broker, p] : followers_) {
    int64_t behind = p.log_end < 0 ? -1 : std::max<int64_t>(0, leader_leo_ - p.log_end);
    out.push_back({broker, behind, std::max<int64_t>(0, now_ms - p.last_caught_up_ms)});
  }
  return out;
}

void isr_tracker::on_metadata(const std::vector<int32_t>& replicas, const std::vector<int32_t>& isr,
                              int64_t now_ms) {
  replicas_ = replicas;
  if (!in_flight_) isr_ = isr;
  for (int32_t r : replicas_) {
    if (r != self_ && followers_.find(r) == followers_.end())
      followers_[r].last_caught_up_ms = now_ms;
  }
  recompute(leader_leo_);
}

bool isr_tracker::on_follower_fetch(ids::broker follower_id, ids::offset fetched_at,
                                    ids::offset leader_log_end, int64_t now_ms) {
  const int32_t follower = follower_id.value();
  const int64_t fetch_offset = fetched_at.value();
  const int64_t leader_leo = leader_log_end.value();
  RILL_ASSERT(follower != self_, "broker %d fetching from itself as a follower", self_);
  RILL_ASSERT(fetch_offset <= leader_leo, "follower %d fetched at %lld past the leader's end %lld",
              follower, static_cast<long long>(fetch_offset), static_cast<long long>(leader_leo));
  auto it = followers_.find(follower);
  if (it == followers_.end()) return false;
  follower_progress& f = it->second;
  f.log_end = fetch_offset;
  if (fetch_offset >= leader_leo) {
    f.last_caught_up_ms = now_ms;
  } else if (fetch_offset >= f.leader_leo_at_last_fetch) {
    f.last_caught_up_ms = std::max(f.last_caught_up_ms, f.last_fetch_ms);
  }
  f.leader_leo_at_last_fetch = leader_leo;
  f.last_fetch_ms = now_ms;
  return recompute(leader_leo);
}

bool isr_tracker::on_leader_append(ids::offset leader_leo) {
  return recompute(leader_leo.value());
}

bool isr_tracker::recompute(int64_t leader_leo) {
  leader_leo_ = leader_leo;
  if (static_cast<int32_t>(isr_.size()) < min_insync_) return false;
  int64_t low = leader_leo;
  std::vector<int32_t> members = isr_;
  if (in_flight_ && in_flight_->expands) {
    for (int32_t r : in_flight_->isr) {
      if (!in_isr(r)) members.push_back(r);
    }
  }
  for (int32_t r : members) {
    if (r == self_) continue;
    auto it = followers_.find(r);
    low = std::min(low, it == followers_.end() ? -1 : it->second.log_end);
  }
  RILL_ASSERT(low <= leader_leo, "high watermark candidate %lld past the log end %lld",
              static_cast<long long>(low), static_cast<long long>(leader_leo));
  if (low > high_watermark_) {
    high_watermark_ = low;
    return true;
  }
  return false;
}

std::optional<isr_change> isr_tracker::next_change(ids::offset /*leader_leo*/, int64_t now_ms) {
  if (in_flight_ || now_ms < next_proposal_ms_) return std::nullopt;
  std::vector<int32_t> shrunk;
  for (int32_t r : isr_) {
    if (r == self_) {
      shrunk.push_back(r);
      continue;
    }
    auto it = followers_.find(r);
    bool lagging = it == followers_.end() || now_ms - it->second.last_caught_up_ms > lag_max_ms_;
    if (!lagging) shrunk.push_back(r);
  }
  RILL_ASSERT(in_isr(self_) == (std::find(shrunk.begin(), shrunk.end(), self_) != shrunk.end()),
              "a shrink that drops the leader");
  if (shrunk.size() < isr_.size()) {
    in_flight_ = isr_change{shrunk, false};
    return in_flight_;
  }
  for (int32_t r : replicas_) {
    if (r == self_ || in_isr(r)) continue;
    auto it = followers_.find(r);
    if (it != followers_.end() && it->second.log_end >= high_watermark_ &&
        it->second.log_end >= 0 && now_ms - it->second.last_fetch_ms <= k_recent_fetch_ms) {
      std::vector<int32_t> grown = isr_;
      grown.push_back(r);
      RILL_ASSERT(grown.size() == isr_.size() + 1 && !in_isr(r));
      in_flight_ = isr_change{grown, true};
      return in_flight_;
    }
  }
  return std::nullopt;
}

void isr_tracker::change_done(bool accepted, const std::vector<int32_t>& controller_isr,
                              ids::offset leader_leo, int64_t now_ms) {
  RILL_ASSERT(in_flight_.has_value(), "an ISR change answered that was not asked for");
  in_flight_.reset();
  if (!controller_isr.empty()) isr_ = controller_isr;
  if (!accepted) next_proposal_ms_ = now_ms + k_refusal_backoff_ms;
  recompute(leader_leo.value());
}

}  // namespace rill::replication
