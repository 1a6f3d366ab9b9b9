// isr_tracker: the leader's view of its followers for one partition: each
// follower's log end offset and when it last caught up, the ISR the
// controller accepted, the ISR changes to ask for, and the high watermark.
//
// Pure logic (no I/O, time passed in), owned by a partition_replica while
// it leads. Rules:
//   - a follower caught up at a fetch if it asked for the leader's log end,
//     or for at least the log end the leader had at its previous fetch;
//   - an ISR member that has not caught up for lag_max_ms is proposed for
//     removal; a non-member whose log end reached the high watermark is
//     proposed for addition; one change in flight at a time;
//   - a removal counts only once the controller accepted it; a pending
//     addition counts at once (the "maximal ISR"), so the high watermark
//     can never pass a member the controller is about to accept;
//   - the high watermark is the lowest log end in the maximal ISR, never
//     moves backwards, and does not move while the ISR is smaller than
//     min.insync.replicas.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "base/ids.h"

namespace rill::replication {

struct isr_change {
  std::vector<int32_t> isr;
  bool expands;
};

// How far one follower trails the leader: records behind the leader's log
// end (-1 before its first fetch) and milliseconds since it last caught up.
struct follower_lag {
  int32_t broker;
  int64_t records;
  int64_t since_caught_up_ms;
};

struct isr_tracker_options {
  ids::broker self;  // the leader
  std::vector<int32_t> replicas;
  std::vector<int32_t> isr;
  int32_t min_insync = 1;
  int64_t lag_max_ms = 30000;
  ids::offset high_watermark{0};
  int64_t now_ms = 0;
};

class isr_tracker {
 public:
  explicit isr_tracker(isr_tracker_options o);

  // The controller's view changed (a new ISR or replica list).
  void on_metadata(const std::vector<int32_t>& replicas, const std::vector<int32_t>& isr,
                   int64_t now_ms);
  // A follower fetched from fetch_offset. Returns true if the HW moved.
  bool on_follower_fetch(ids::broker follower, ids::offset fetch_offset, ids::offset leader_leo,
                         int64_t now_ms);
  // The leader's log grew. Returns true if the HW moved.
  bool on_leader_append(ids::offset leader_leo);

  // The change to ask the controller for now, if any (marks it in flight).
  std::optional<isr_change> next_change(ids::offset leader_leo, int64_t now_ms);
  // The controller answered: accepted (with the ISR it now has) or not.
  void change_done(bool accepted, const std::vector<int32_t>& controller_isr,
                   ids::offset leader_leo, int64_t now_ms);

  int64_t high_watermark() const { return high_watermark_; }
  const std::vector<int32_t>& isr() const { return isr_; }
  size_t isr_size() const { return isr_.size(); }
  bool change_in_flight() const { return in_flight_.has_value(); }
  int64_t follower_log_end(ids::broker follower) const;
  std::vector<follower_lag> lags(int64_t now_ms) const;

 private:
  struct follower_progress {
    int64_t log_end = -1;
    int64_t last_caught_up_ms = 0;
    int64_t leader_leo_at_last_fetch = 0;
    int64_t last_fetch_ms = 0;
  };
  bool recompute(int64_t leader_leo);
  bool in_isr(int32_t r) const;

  int32_t self_;
  std::vector<int32_t> replicas_;
  std::vector<int32_t> isr_;
  int32_t min_insync_;
  int64_t lag_max_ms_;
  int64_t high_watermark_;
  int64_t leader_leo_ = 0;
  std::map<int32_t, follower_progress> followers_;
  std::optional<isr_change> in_flight_;
  int64_t next_proposal_ms_ = 0;  // back-off after a refused change
};

}  // namespace rill::replication
