#include "dataplane/kafka/handlers/group_routing.h"

#include <algorithm>

#include "base/assert.h"
#include "base/log.h"
#include "dataplane/group/group_coordinator.h"
#include "dataplane/node/shard_state.h"
#include "platform/runtime/clock.h"
#include "platform/runtime/uring_op.h"

namespace rill::kafka {
namespace {

// How long a group request waits for this broker's lease, and how often
// it looks.
constexpr uint64_t k_lease_wait_ns = 3000 * runtime::k_ns_per_ms;
constexpr uint64_t k_lease_poll_ns = 10 * runtime::k_ns_per_ms;

}  // namespace

task<group_route> route_group(request_context& ctx, const std::string& group_id) {
  partition::shard_state& local = partition::shard_state::local();
  const uint64_t deadline = runtime::monotonic_ns() + k_lease_wait_ns;
  while (true) {
    control::snapshot_ptr s = local.snapshot();
    const control::topic_info* topic = s->find_topic(group::k_offsets_topic);
    if (topic == nullptr || topic->partitions.empty()) {
      co_return group_route{.error = error_code::coordinator_not_available};
    }
    if (group_id.empty()) co_return group_route{.error = error_code::invalid_group_id};
    int32_t p =
        group::offsets_partition_for(group_id, static_cast<int32_t>(topic->partitions.size()));
    RILL_ASSERT(p >= 0 && static_cast<size_t>(p) < topic->partitions.size(),
                "group %s placed on offsets partition %d of %zu", group_id.c_str(), p,
                topic->partitions.size());
    if (!group::named_leader(local, p)) co_return group_route{.error = error_code::not_coordinator};
    if (ctx.broker->lease().valid(runtime::monotonic_ns())) {
      co_return group_route{.partition = p, .owner = local.owner_of(group::k_offsets_topic, p)};
    }
    // Named coordinator without a valid lease (just restarted, or cut off
    // from the controller): wait for it; then "still loading", which
    // clients retry, where NOT_COORDINATOR fails librdkafka's committed().
    if (runtime::monotonic_ns() >= deadline) {
      co_return group_route{.error = error_code::coordinator_load_in_progress};
    }
    co_await runtime::sleep_for(*runtime::shard::current(), k_lease_poll_ns);
  }
}

task<bool> ensure_offsets_topic(request_context& ctx) {
  partition::shard_state& local = partition::shard_state::local();
  if (local.snapshot()->find_topic(group::k_offsets_topic) != nullptr) co_return true;
  const partition::broker_settings& settings = ctx.broker->settings();
  int32_t alive = 0;
  for (const auto& [id, b] : local.snapshot()->brokers) alive += b.alive ? 1 : 0;
  int32_t rf = std::min(settings.offsets_topic_replication_factor, std::max(alive, 1));
  RILL_ASSERT(rf >= 1 && rf <= std::max(alive, 1),
              "offsets topic replication factor %d for %d "
              "live brokers",
              rf, alive);
  control::topic_spec spec{
      .name = group::k_offsets_topic,
      .partitions = settings.offsets_topic_partitions,
      .replication_factor = rf,
      // Compacted: the latest commit of each group and partition stays, old
      // ones and deleted groups' tombstones go (Kafka's settings).
      .configs = {{"cleanup.policy", "compact"},
                  {"segment.bytes", std::to_string(settings.offsets_topic_segment_bytes)}}};
  auto outcomes = co_await ctx.broker->create_topics({spec}, false);
  for (const control::topic_outcome& o : outcomes) {
    if (o.error == control::topic_errc::ok) {
      RILL_INFO("group", "created %s: %d partitions, replication factor %d", group::k_offsets_topic,
                spec.partitions, rf);
    } else if (o.error != control::topic_errc::already_exists) {
      RILL_WARN("group", "creating %s failed: %s", group::k_offsets_topic, o.message.c_str());
    }
  }
  co_return local.snapshot()->find_topic(group::k_offsets_topic) != nullptr;
}

}  // namespace rill::kafka
