#include "dataplane/kafka/handlers/coordinator_routing.h"

#include <algorithm>

#include "base/assert.h"
#include "base/log.h"
#include "dataplane/group/group_coordinator.h"
#include "dataplane/node/shard_state.h"
#include "dataplane/transaction/transaction_coordinator.h"
#include "platform/runtime/clock.h"
#include "platform/runtime/uring_op.h"

namespace rill::kafka {
namespace {

// How long a coordinator request waits for this broker's lease, and how
// often it looks.
constexpr uint64_t k_lease_wait_ns = 3000 * runtime::k_ns_per_ms;
constexpr uint64_t k_lease_poll_ns = 10 * runtime::k_ns_per_ms;

int32_t partition_for(coordinator_kind kind, const std::string& key, int32_t partitions) {
  return kind == coordinator_kind::group ? group::offsets_partition_for(key, partitions)
                                         : transaction::txn_partition_for(key, partitions);
}

}  // namespace

const char* coordinator_topic(coordinator_kind kind) {
  return kind == coordinator_kind::group ? group::k_offsets_topic : transaction::k_txn_state_topic;
}

task<coordinator_route> route_coordinator(request_context& ctx, coordinator_kind kind,
                                          const std::string& key) {
  partition::shard_state& local = partition::shard_state::local();
  const char* topic_name = coordinator_topic(kind);
  const uint64_t deadline = runtime::monotonic_ns() + k_lease_wait_ns;
  while (true) {
    control::snapshot_ptr s = local.snapshot();
    const control::topic_info* topic = s->find_topic(topic_name);
    if (topic == nullptr || topic->partitions.empty()) {
      co_return coordinator_route{.error = error_code::coordinator_not_available};
    }
    if (key.empty()) {
      co_return coordinator_route{.error = kind == coordinator_kind::group
                                               ? error_code::invalid_group_id
                                               : error_code::invalid_request};
    }
    int32_t p = partition_for(kind, key, static_cast<int32_t>(topic->partitions.size()));
    RILL_ASSERT(p >= 0 && static_cast<size_t>(p) < topic->partitions.size(),
                "%s placed on %s partition %d of %zu", key.c_str(), topic_name, p,
                topic->partitions.size());
    if (!local.named_leader(topic_name, p)) {
      co_return coordinator_route{.error = error_code::not_coordinator};
    }
    if (ctx.broker->lease().valid(runtime::monotonic_ns())) {
      co_return coordinator_route{.partition = p, .owner = local.owner_of(topic_name, p)};
    }
    // Named coordinator without a valid lease (just restarted, or cut off
    // from the controller): wait for it; then "still loading", which
    // clients retry, where NOT_COORDINATOR fails librdkafka's committed().
    if (runtime::monotonic_ns() >= deadline) {
      co_return coordinator_route{.error = error_code::coordinator_load_in_progress};
    }
    co_await runtime::sleep_for(*runtime::shard::current(), k_lease_poll_ns);
  }
}

task<bool> ensure_coordinator_topic(request_context& ctx, coordinator_kind kind) {
  partition::shard_state& local = partition::shard_state::local();
  const char* name = coordinator_topic(kind);
  if (local.snapshot()->find_topic(name) != nullptr) co_return true;
  const partition::broker_settings& settings = ctx.broker->settings();
  int32_t alive = 0;
  for (const auto& [id, b] : local.snapshot()->brokers) alive += b.alive ? 1 : 0;
  const bool group = kind == coordinator_kind::group;
  int32_t wanted_rf =
      group ? settings.offsets_topic_replication_factor : settings.txn_state_replication_factor;
  int32_t rf = std::min(wanted_rf, std::max(alive, 1));
  RILL_ASSERT(rf >= 1 && rf <= std::max(alive, 1), "%s replication factor %d for %d live brokers",
              name, rf, alive);
  // Compacted: the latest record of each key stays (Kafka's settings).
  control::topic_spec spec{
      .name = name,
      .partitions = group ? settings.offsets_topic_partitions : settings.txn_state_partitions,
      .replication_factor = rf,
      .configs = {{"cleanup.policy", "compact"},
                  {"segment.bytes", std::to_string(group ? settings.offsets_topic_segment_bytes
                                                         : settings.txn_state_segment_bytes)}}};
  if (!group) {
    // Kafka's transaction.state.log.min.isr, never above the replicas.
    spec.configs.emplace_back("min.insync.replicas",
                              std::to_string(std::min(settings.txn_state_min_isr, rf)));
  }
  auto outcomes = co_await ctx.broker->create_topics({spec}, false);
  for (const control::topic_outcome& o : outcomes) {
    if (o.error == control::topic_errc::ok) {
      RILL_INFO("kafka", "created %s: %d partitions, replication factor %d", name, spec.partitions,
                rf);
    } else if (o.error != control::topic_errc::already_exists) {
      RILL_WARN("kafka", "creating %s failed: %s", name, o.message.c_str());
    }
  }
  co_return local.snapshot()->find_topic(name) != nullptr;
}

}  // namespace rill::kafka
