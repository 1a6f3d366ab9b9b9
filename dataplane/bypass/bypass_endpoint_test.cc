// Two endpoints on one shard, joined by a memory_link that loses and
// duplicates frames: the replication transport's framing runs over real
// bypass_connections and the real poll loop, with responses sent by
// reference as the leader sends its hot tail.
#include "dataplane/bypass/bypass_endpoint.h"

#include <gtest/gtest.h>

#include "base/byte_order.h"
#include "dataplane/bypass/memory_link.h"
#include "dataplane/replication/replica_transport.h"
#include "platform/runtime/clock.h"
#include "platform/runtime/uring_op.h"
#include "tests/support/run_on_runtime.h"

namespace rill::bypass {
namespace {

// Answers each size-prefixed frame with a frame of the same body reversed,
// the large ones by reference.
task<void> serve_reversed(std::unique_ptr<bypass_connection> c, int* served) {
  for (;;) {
    if (!co_await c->fill(4)) break;
    uint32_t size = load_be32(c->input().data());
    if (!co_await c->fill(4 + size)) break;
    auto reply = std::make_shared<std::vector<uint8_t>>(4 + size);
    store_be32(reply->data(), size);
    std::reverse_copy(c->input().begin() + 4, c->input().begin() + 4 + size, reply->begin() + 4);
    c->consume(4 + size);
    int rc = 0;
    if (size > 4096) {
      rc = co_await c->send_zero_copy(*reply, [reply] {});
    } else {
      rc = co_await c->send_all(*reply);
    }
    if (rc != 0) break;
    ++*served;
  }
  co_await c->close();
}

std::vector<uint8_t> frame_of(size_t body_bytes, uint8_t seed) {
  std::vector<uint8_t> f(4 + body_bytes);
  store_be32(f.data(), static_cast<uint32_t>(body_bytes));
  for (size_t i = 0; i < body_bytes; ++i) f[4 + i] = static_cast<uint8_t>(i * 31 + seed);
  return f;
}

struct pair_of_endpoints {
  std::shared_ptr<memory_wire> wire;
  std::unique_ptr<bypass_endpoint> follower;
  std::unique_ptr<bypass_endpoint> leader;
  int served = 0;

  pair_of_endpoints(runtime::shard& s, uint64_t seed, endpoint_options base) {
    wire = std::make_shared<memory_wire>(seed);
    base.self = 1;
    follower =
        std::make_unique<bypass_endpoint>(s, base, std::make_unique<memory_link>(wire, 0, 2));
    base.self = 2;
    leader = std::make_unique<bypass_endpoint>(s, base, std::make_unique<memory_link>(wire, 1, 1));
    follower->start(nullptr);
    leader->start([this](std::unique_ptr<bypass_connection> c) {
      spawn(serve_reversed(std::move(c), &served));
    });
  }
  task<void> stop() {
    co_await follower->stop();
    co_await leader->stop();
  }
};

std::unique_ptr<replication::replica_transport> transport_to(bypass_endpoint& from, int32_t peer) {
  return std::make_unique<replication::stream_replica_transport>(
      [&from, peer]() -> task<std::unique_ptr<net::byte_stream>> {
        co_return co_await from.connect(peer);
      },
      4u << 20);
}

void exchange_mixed_frames(uint32_t loss_per_mille, uint32_t duplicate_per_mille) {
  int answered = 0;
  int wrong = 0;
  endpoint_counters leader_counters;
  testing::run_on_runtime({.shard_count = 1}, [&](runtime::runtime&) -> task<void> {
    runtime::shard& s = *runtime::shard::current();
    pair_of_endpoints pair(s, 42 + loss_per_mille, {.stream = {.segment_bytes_max = 1448}});
    pair.wire->loss_per_mille = loss_per_mille;
    pair.wire->duplicate_per_mille = duplicate_per_mille;
    auto t = transport_to(*pair.follower, 2);
    // Mixed sizes from 5 B to 1 MiB (a response is at least its 4-byte correlation id), as a real
    // client's records come.
    const size_t sizes[] = {10, 1 << 20, 100, 70'000, 1448, 1449, 5, 300'000, 16'384, 999'999};
    for (int round = 0; round < 3; ++round) {
      for (size_t i = 0; i < std::size(sizes); ++i) {
        std::vector<uint8_t> request = frame_of(sizes[i], static_cast<uint8_t>(i + round));
        std::vector<uint8_t> body(request.begin() + 4, request.end());
        auto reply = co_await t->round_trip(
            std::move(request), runtime::monotonic_ns() + 20'000 * runtime::k_ns_per_ms);
        if (!reply) {
          ADD_FAILURE() << "no reply to a frame of " << sizes[i] << " bytes, round " << round;
          continue;
        }
        std::reverse(body.begin(), body.end());
        ++answered;
        if (*reply != body) ++wrong;
      }
    }
    co_await t->close();
    leader_counters = pair.leader->counters();
    co_await pair.stop();
  });
  EXPECT_EQ(answered, 30);
  EXPECT_EQ(wrong, 0);
  if (loss_per_mille > 0) EXPECT_GT(leader_counters.streams.segments_retransmitted, 0u);
  EXPECT_EQ(leader_counters.connections_accepted, 1u);
}

TEST(bypass_endpoint, round_trips_of_mixed_sizes_over_a_clean_link) {
  exchange_mixed_frames(0, 0);
}

TEST(bypass_endpoint, round_trips_survive_two_percent_loss_and_duplicates) {
  exchange_mixed_frames(20, 10);
}

// The leader goes silent: the follower's stream reports the link closed
// within the peer-death time, as a TCP reset would, and reconnecting fails
// until the link is back.
TEST(bypass_endpoint, a_silent_peer_closes_the_stream) {
  bool got_reply = false;
  bool failed_when_cut = false;
  uint64_t noticed_ns = 0;
  testing::run_on_runtime({.shard_count = 1}, [&](runtime::runtime&) -> task<void> {
    runtime::shard& s = *runtime::shard::current();
    stream_options fast{.peer_dead_ns = 300 * runtime::k_ns_per_ms};
    fast.idle_probe_ns = 50 * runtime::k_ns_per_ms;
    fast.connect_timeout_ns = 200 * runtime::k_ns_per_ms;
    pair_of_endpoints pair(s, 7, {.stream = fast});
    auto c = co_await pair.follower->connect(2);
    EXPECT_NE(c, nullptr);
    if (!c) co_return;
    std::vector<uint8_t> request = frame_of(100, 1);
    EXPECT_EQ(co_await c->send_all(request), 0);
    got_reply = co_await c->fill(104);
    pair.wire->cut = true;
    uint64_t cut_at = runtime::monotonic_ns();
    EXPECT_FALSE(co_await c->fill(1'000'000));
    noticed_ns = runtime::monotonic_ns() - cut_at;
    co_await c->close();
    failed_when_cut = co_await pair.follower->connect(2) == nullptr;
    co_await pair.stop();
  });
  EXPECT_TRUE(got_reply);
  EXPECT_TRUE(failed_when_cut);
  EXPECT_GE(noticed_ns, 250 * runtime::k_ns_per_ms);
  EXPECT_LT(noticed_ns, 2000 * runtime::k_ns_per_ms);
}

}  // namespace
}  // namespace rill::bypass
