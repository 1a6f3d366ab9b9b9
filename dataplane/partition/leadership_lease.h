// leadership_lease: how long this broker may still act as a partition
// leader without hearing from the controller.
//
// The controller fences a broker whose heartbeats stop for its session
// timeout and then elects other leaders. A broker cut off from the
// controller cannot learn that, so it stops on its own first: the lease
// runs from the send time of the last heartbeat the controller answered
// (the controller received it later, so its fence comes later still) for
// four fifths of the session timeout. While it has lapsed the broker's
// leaders refuse produce requests (NOT_LEADER_OR_FOLLOWER) and Metadata
// reports no leader for them, so clients go to the new leader instead of a
// zombie. A standalone broker (no controller) holds it forever.
//
// Renewed on shard 0, read on every shard: one atomic.
#pragma once

#include <atomic>
#include <cstdint>

namespace rill::partition {

class leadership_lease {
 public:
  static constexpr uint64_t k_forever = UINT64_MAX;

  explicit leadership_lease(uint64_t until_ns = k_forever) : until_ns_(until_ns) {}

  // Valid until heartbeat_sent_ns + 4/5 of the controller's session timeout.
  void renew(uint64_t heartbeat_sent_ns, int64_t session_timeout_ms) {
    uint64_t span = static_cast<uint64_t>(session_timeout_ms) * 1'000'000 / 5 * 4;
    uint64_t until = heartbeat_sent_ns + span;
    if (until > until_ns_.load(std::memory_order_relaxed))
      until_ns_.store(until, std::memory_order_relaxed);
  }
  // The controller fenced this broker: no leadership until it registers again.
  void revoke() { until_ns_.store(0, std::memory_order_relaxed); }
  bool valid(uint64_t now_ns) const { return now_ns < until_ns_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> until_ns_;
};

}  // namespace rill::partition
