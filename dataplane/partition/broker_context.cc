#include "dataplane/partition/broker_context.h"

#include <chrono>

#include "base/assert.h"
#include "base/log.h"
#include "dataplane/partition/shard_state.h"
#include "dataplane/runtime/cross_shard.h"

namespace rill::partition {
namespace {
const runtime::shard_id k_metadata_shard(0);
}  // namespace

broker_context::broker_context(runtime::runtime& rt, const broker_settings& settings)
    : runtime_(&rt), settings_(&settings) {}

task<bool> broker_context::start_metadata(storage::file_io& io) {
  RILL_ASSERT(runtime::shard::current()->id() == k_metadata_shard);
  metadata_ = std::make_unique<control::metadata_service>(
      io, control::metadata_service_options{
              .dir = settings_->data_dir + "/__cluster_metadata",
              .cluster_id = settings_->cluster_id,
              .default_partitions = settings_->num_partitions,
              .default_replication_factor = settings_->default_replication_factor});
  if (co_await metadata_->load() != control::topic_errc::ok) co_return false;
  control::broker_info me{
      settings_->broker_id, settings_->advertised_host, settings_->port,
      settings_->rack.empty() ? std::nullopt : std::optional<std::string>(settings_->rack), true};
  if (co_await metadata_->upsert_broker(me) != control::topic_errc::ok) co_return false;
  // Producer ids: time-based high bits keep ids unique across restarts
  // without a persisted counter; the low 20 bits count within a run.
  auto now_s = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
  next_producer_id_ = (static_cast<int64_t>(settings_->broker_id) << 52) | (now_s << 20);
  co_await broadcast(metadata_->snapshot());
  co_return true;
}

namespace {

// Named coroutines (not coroutine lambdas): their parameters live in their
// own frames, whatever happens to the closure that started them.
task<void> apply_here(control::snapshot_ptr snapshot) {
  co_await shard_state::local().apply(std::move(snapshot));
}

}  // namespace

task<void> broker_context::broadcast(control::snapshot_ptr snapshot) {
  for (uint32_t i = 0; i < runtime_->shard_count(); ++i) {
    co_await runtime::submit_to(runtime::shard_id(i), [snapshot] { return apply_here(snapshot); });
  }
}

task<std::vector<control::topic_outcome>> broker_context::create_topics_here(
    std::vector<control::topic_spec> specs, bool validate_only) {
  auto out = co_await metadata_->create_topics(std::move(specs), validate_only);
  if (!validate_only) co_await broadcast(metadata_->snapshot());
  co_return out;
}

task<std::vector<control::topic_outcome>> broker_context::delete_topics_here(
    std::vector<std::string> names) {
  auto out = co_await metadata_->delete_topics(std::move(names));
  co_await broadcast(metadata_->snapshot());
  co_return out;
}

task<control::topic_outcome> broker_context::alter_topic_config_here(
    std::string name, std::vector<std::pair<std::string, std::string>> configs) {
  auto out = co_await metadata_->alter_topic_config(std::move(name), std::move(configs));
  co_await broadcast(metadata_->snapshot());
  co_return out;
}

task<std::vector<control::topic_outcome>> broker_context::create_topics(
    std::vector<control::topic_spec> specs, bool validate_only) {
  co_return co_await runtime::submit_to(k_metadata_shard, [this, &specs, validate_only] {
    return create_topics_here(std::move(specs), validate_only);
  });
}

task<std::vector<control::topic_outcome>> broker_context::delete_topics(
    std::vector<std::string> names) {
  co_return co_await runtime::submit_to(
      k_metadata_shard, [this, &names] { return delete_topics_here(std::move(names)); });
}

task<control::topic_outcome> broker_context::alter_topic_config(
    std::string name, std::vector<std::pair<std::string, std::string>> configs) {
  co_return co_await runtime::submit_to(k_metadata_shard, [this, &name, &configs] {
    return alter_topic_config_here(std::move(name), std::move(configs));
  });
}

task<int64_t> broker_context::allocate_producer_id() {
  co_return co_await runtime::submit_to(k_metadata_shard, [this] { return next_producer_id_++; });
}

}  // namespace rill::partition
