#include "dataplane/replication/byte_rate_limiter.h"

#include <gtest/gtest.h>

namespace rill::replication {
namespace {

constexpr uint64_t k_second = 1'000'000'000ULL;

TEST(byte_rate_limiter, unlimited_takes_everything) {
  byte_rate_limiter l;
  EXPECT_FALSE(l.limited());
  EXPECT_TRUE(l.try_take(1ULL << 40, 1));
  EXPECT_EQ(l.wait_ns(1), 0u);
}

TEST(byte_rate_limiter, holds_the_rate_over_time_with_one_second_of_burst) {
  byte_rate_limiter l(1000);
  uint64_t now = k_second;
  uint64_t sent = 0;
  // Ten seconds of 100-byte takes as fast as allowed.
  while (now < 11 * k_second) {
    if (l.try_take(100, now)) {
      sent += 100;
    } else {
      now += std::max<uint64_t>(l.wait_ns(now), 1);
    }
  }
  // 1000 B/s for 10 s, plus the initial second of burst and one overdraw.
  EXPECT_GE(sent, 10'000u);
  EXPECT_LE(sent, 11'100u);
}

TEST(byte_rate_limiter, a_large_take_overdraws_once_then_waits) {
  byte_rate_limiter l(1000);
  EXPECT_TRUE(l.try_take(5000, k_second));  // more than the bucket: goes, owes 4000
  EXPECT_FALSE(l.try_take(1, k_second));
  uint64_t wait = l.wait_ns(k_second);
  EXPECT_GE(wait, 4 * k_second);
  EXPECT_LE(wait, 4 * k_second + 1000);
  EXPECT_TRUE(l.try_take(1, k_second + wait));
}

}  // namespace
}  // namespace rill::replication
