// byte_rate_limiter: a token bucket in bytes per second with one second of
// burst. A take may overdraw the bucket once (a batch larger than what is
// left still goes, so the limited traffic always makes progress); the next
// takes wait until it is paid back. Time is passed in; owned by one shard.
#pragma once

#include <algorithm>
#include <cstdint>

#include "base/assert.h"

namespace rill::replication {

class byte_rate_limiter {
 public:
  // bytes_per_second 0: no limit.
  explicit byte_rate_limiter(uint64_t bytes_per_second = 0)
      : rate_(bytes_per_second), tokens_(static_cast<double>(bytes_per_second)) {}

  bool limited() const { return rate_ > 0; }

  // Whether bytes may go now; if so they are taken.
  bool try_take(uint64_t bytes, uint64_t now_ns) {
    if (rate_ == 0) return true;
    refill(now_ns);
    if (tokens_ < 0) return false;
    tokens_ -= static_cast<double>(bytes);
    return true;
  }
  // How long until a take can succeed.
  uint64_t wait_ns(uint64_t now_ns) {
    if (rate_ == 0) return 0;
    refill(now_ns);
    if (tokens_ >= 0) return 0;
    return static_cast<uint64_t>(-tokens_ * 1e9 / static_cast<double>(rate_)) + 1;
  }

 private:
  void refill(uint64_t now_ns) {
    if (last_ns_ != 0 && now_ns > last_ns_) {
      tokens_ += static_cast<double>(now_ns - last_ns_) * static_cast<double>(rate_) / 1e9;
      tokens_ = std::min(tokens_, static_cast<double>(rate_));  // one second of burst
    }
    RILL_ASSERT(now_ns >= last_ns_ || last_ns_ == 0, "time went backwards");
    last_ns_ = std::max(last_ns_, now_ns);
  }

  uint64_t rate_;
  double tokens_;
  uint64_t last_ns_ = 0;
};

}  // namespace rill::replication
