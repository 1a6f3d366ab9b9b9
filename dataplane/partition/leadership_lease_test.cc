#include "dataplane/partition/leadership_lease.h"

#include <gtest/gtest.h>

namespace rill::partition {
namespace {

constexpr uint64_t k_ms = 1'000'000;

TEST(leadership_lease, standalone_broker_holds_it_forever) {
  leadership_lease lease;
  EXPECT_TRUE(lease.valid(0));
  EXPECT_TRUE(lease.valid(UINT64_MAX - 1));
}

TEST(leadership_lease, lapses_before_the_controller_can_fence) {
  leadership_lease lease(0);
  EXPECT_FALSE(lease.valid(1)) << "no leadership before the first answered heartbeat";
  // Heartbeat sent at 100 ms, answered; session timeout 3000 ms: the
  // controller fences no earlier than 3100 ms, the broker stops at 2500 ms.
  lease.renew(100 * k_ms, 3000);
  EXPECT_TRUE(lease.valid(2499 * k_ms));
  EXPECT_FALSE(lease.valid(2500 * k_ms));
  EXPECT_FALSE(lease.valid(3100 * k_ms));
}

TEST(leadership_lease, a_late_answer_to_an_older_heartbeat_never_shortens_it) {
  leadership_lease lease(0);
  lease.renew(1000 * k_ms, 3000);
  lease.renew(500 * k_ms, 3000);
  EXPECT_TRUE(lease.valid(3399 * k_ms));
}

TEST(leadership_lease, fencing_revokes_it_until_the_next_answer) {
  leadership_lease lease(0);
  lease.renew(1000 * k_ms, 3000);
  lease.revoke();
  EXPECT_FALSE(lease.valid(1001 * k_ms));
  lease.renew(1100 * k_ms, 3000);
  EXPECT_TRUE(lease.valid(1101 * k_ms));
}

}  // namespace
}  // namespace rill::partition
