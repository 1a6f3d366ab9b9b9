#include "dataplane/node/broker_context.h"

#include <algorithm>

#include "control/reassignment.h"

#include <chrono>

#include "base/assert.h"
#include "base/host_port.h"
#include "base/log.h"
#include "dataplane/node/shard_state.h"
#include "platform/runtime/cross_shard.h"
#include "platform/runtime/uring_op.h"

namespace rill::partition {
namespace {

const runtime::shard_id k_metadata_shard(0);

// The controller candidates, resolved to socket addresses.
bool parse_controller_list(const std::string& text, std::vector<net::socket_address>* out) {
  std::vector<host_port> items;
  if (!parse_host_port_list(text, &items)) return false;
  for (const host_port& hp : items) {
    net::socket_address a;
    if (!net::socket_address::parse(hp.host, hp.port, &a)) return false;
    out->push_back(a);
  }
  return true;
}

}  // namespace

broker_context::broker_context(runtime::runtime& rt, const broker_settings& settings)
    : runtime_(&rt),
      settings_(&settings),
      lease_(settings.controller.empty() ? leadership_lease::k_forever : 0) {}

task<bool> broker_context::start_metadata(storage::file_io& io) {
  RILL_ASSERT(runtime::shard::current()->id() == k_metadata_shard);
  if (has_controller()) {
    std::vector<net::socket_address> addresses;
    if (!parse_controller_list(settings_->controller, &addresses)) {
      RILL_ERROR("broker", "cannot parse controller addresses '%s' (host:port[,host:port...])",
                 settings_->controller.c_str());
      co_return false;
    }
    link_ = std::make_unique<controller_link>(
        *runtime::shard::current(), *settings_, std::move(addresses),
        [this](control::snapshot_ptr s) { return broadcast(std::move(s)); }, lease_);
    link_->on_registered([this] { spawn(report_offline_replicas_again()); });
    link_->start();
    co_return true;
  }
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
  co_await broadcast(metadata_->snapshot());
  co_return true;
}

task<void> broker_context::stop_metadata() {
  if (link_) {
    co_await link_->controlled_shutdown(settings_->controlled_shutdown_timeout_ms);
    co_await link_->stop();
  }
  metadata_stopped_.store(true, std::memory_order_release);
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
  if (link_)
    co_return co_await forward_topics(control::rpc::api::create_topics, std::move(specs), {},
                                      validate_only);
  auto out = co_await metadata_->create_topics(std::move(specs), validate_only);
  if (!validate_only) co_await broadcast(metadata_->snapshot());
  co_return out;
}

task<std::vector<control::topic_outcome>> broker_context::delete_topics_here(
    std::vector<std::string> names) {
  if (link_)
    co_return co_await forward_topics(control::rpc::api::delete_topics, {}, std::move(names),
                                      false);
  auto out = co_await metadata_->delete_topics(std::move(names));
  co_await broadcast(metadata_->snapshot());
  co_return out;
}

task<control::topic_outcome> broker_context::alter_topic_config_here(
    std::string name, control::topic_config_change change) {
  if (link_) {
    auto r = co_await link_->alter_topic_config({name, std::move(change)});
    if (!r || r->results.empty())
      co_return control::topic_outcome{name, control::topic_errc::controller_unavailable,
                                       "controller unavailable"};
    co_await wait_for_epoch(r->metadata_epoch);
    co_return control::topic_outcome{name, static_cast<control::topic_errc>(r->results[0].error),
                                     r->results[0].message};
  }
  auto out = co_await metadata_->alter_topic_config(std::move(name), std::move(change));
  co_await broadcast(metadata_->snapshot());
  co_return out;
}

task<std::vector<control::topic_outcome>> broker_context::create_partitions_here(
    std::vector<control::partition_increase> increases, bool validate_only) {
  if (!link_) {
    auto out = co_await metadata_->create_partitions(std::move(increases), validate_only);
    if (!validate_only) co_await broadcast(metadata_->snapshot());
    co_return out;
  }
  control::rpc::create_partitions_request req{validate_only, {}};
  for (control::partition_increase& inc : increases) {
    req.topics.push_back({inc.name, inc.count, std::move(inc.assignments)});
  }
  auto r = co_await link_->create_partitions(req);
  std::vector<control::topic_outcome> out;
  if (!r) {
    for (const auto& t : req.topics) {
      out.push_back(
          {t.name, control::topic_errc::controller_unavailable, "controller unavailable"});
    }
    co_return out;
  }
  for (const control::rpc::topic_result_wire& t : r->results) {
    out.push_back({t.name, static_cast<control::topic_errc>(t.error), t.message});
  }
  if (!validate_only) co_await wait_for_epoch(r->metadata_epoch);
  co_return out;
}

task<std::vector<control::rpc::topic_result_wire>> broker_context::alter_reassignments_here(
    control::rpc::alter_reassignments_request req) {
  if (link_) {
    auto r = co_await link_->alter_reassignments(req);
    if (!r || r->results.size() != req.partitions.size()) {
      std::vector<control::rpc::topic_result_wire> out;
      for (const auto& p : req.partitions) {
        out.push_back({p.topic, static_cast<int16_t>(control::topic_errc::controller_unavailable),
                       "controller unavailable"});
      }
      co_return out;
    }
    co_await wait_for_epoch(r->metadata_epoch);
    co_return r->results;
  }
  // Standalone: the broker's own store runs the same rules.
  std::vector<control::reassign_errc> errors;
  std::vector<control::leader_change> changes;
  control::topic_errc e = co_await metadata_->update([&](control::cluster_snapshot& s) {
    errors = control::reassign_partitions(s, req.partitions, &changes);
    return std::count(errors.begin(), errors.end(), control::reassign_errc::ok) > 0;
  });
  co_await broadcast(metadata_->snapshot());
  co_return control::rpc::reassignment_results(req, errors, static_cast<int16_t>(e));
}

task<std::vector<control::rpc::topic_result_wire>> broker_context::alter_reassignments(
    control::rpc::alter_reassignments_request req) {
  co_return co_await runtime::submit_to(
      k_metadata_shard, [this, &req] { return alter_reassignments_here(std::move(req)); });
}

task<std::vector<control::topic_outcome>> broker_context::create_partitions(
    std::vector<control::partition_increase> increases, bool validate_only) {
  co_return co_await runtime::submit_to(k_metadata_shard, [this, &increases, validate_only] {
    return create_partitions_here(std::move(increases), validate_only);
  });
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
    std::string name, control::topic_config_change change) {
  co_return co_await runtime::submit_to(k_metadata_shard, [this, &name, &change] {
    return alter_topic_config_here(std::move(name), std::move(change));
  });
}

task<std::vector<control::topic_outcome>> broker_context::forward_topics(
    control::rpc::api key, std::vector<control::topic_spec> specs, std::vector<std::string> names,
    bool validate_only) {
  std::optional<control::rpc::topics_response> r;
  if (key == control::rpc::api::create_topics) {
    control::rpc::create_topics_request req{validate_only, {}};
    for (control::topic_spec& t : specs) {
      req.topics.push_back({t.name, t.partitions, t.replication_factor, std::move(t.configs),
                            std::move(t.assignments)});
      names.push_back(t.name);
    }
    r = co_await link_->create_topics(std::move(req));
  } else {
    r = co_await link_->delete_topics({names});
  }
  std::vector<control::topic_outcome> out;
  if (!r) {
    for (const std::string& n : names) {
      out.push_back({n, control::topic_errc::controller_unavailable, "controller unavailable"});
    }
    co_return out;
  }
  for (const control::rpc::topic_result_wire& t : r->results) {
    out.push_back({t.name, static_cast<control::topic_errc>(t.error), t.message});
  }
  if (!validate_only) co_await wait_for_epoch(r->metadata_epoch);
  co_return out;
}

task<void> broker_context::wait_for_epoch(int64_t epoch) {
  // The metadata long poll brings the change; wait (bounded) until every
  // shard has it, so the caller can use what it just created.
  runtime::shard& s = *runtime::shard::current();
  for (int i = 0; i < 500; ++i) {
    bool all = true;
    for (uint32_t k = 0; k < runtime_->shard_count() && all; ++k) {
      int64_t e = co_await runtime::submit_to(
          runtime::shard_id(k), [] { return shard_state::local().snapshot()->epoch; });
      all = e >= epoch;
    }
    if (all) co_return;
    co_await runtime::sleep_for(s, 10 * runtime::k_ns_per_ms);
  }
}

task<std::optional<control::rpc::alter_partition_response>> broker_context::alter_partition(
    control::rpc::alter_partition_request req) {
  co_return co_await runtime::submit_to(
      k_metadata_shard, [this, &req] { return alter_partition_here(std::move(req)); });
}

task<std::optional<control::rpc::alter_partition_response>> broker_context::alter_partition_here(
    control::rpc::alter_partition_request req) {
  if (!link_) co_return std::nullopt;
  co_return co_await link_->alter_partition(std::move(req));
}

task<bool> broker_context::report_replica_state(std::string topic, int32_t partition,
                                                bool offline) {
  co_return co_await runtime::submit_to(k_metadata_shard, [this, &topic, partition, offline] {
    return report_replica_state_here(std::move(topic), partition, offline);
  });
}

task<bool> broker_context::report_replica_state_here(std::string topic, int32_t partition,
                                                     bool offline) {
  if (!link_) co_return false;  // standalone: nobody else could lead
  co_return co_await link_->report_replica_state(std::move(topic), partition, offline);
}

task<void> broker_context::report_offline_replicas_again() {
  runtime::work_guard guard(*runtime::shard::current());
  for (uint32_t i = 0; i < runtime_->shard_count(); ++i) {
    co_await runtime::submit_to(runtime::shard_id(i),
                                [] { shard_state::local().report_offline_replicas(); });
  }
}

task<int32_t> broker_context::elect_preferred() {
  co_return co_await runtime::submit_to(k_metadata_shard,
                                        [this] { return elect_preferred_here(); });
}

task<int32_t> broker_context::elect_preferred_here() {
  if (!link_) co_return 0;  // standalone: one broker, nothing to move
  auto r = co_await link_->elect_preferred();
  if (!r || r->error != 0) co_return -1;
  co_return r->moved;
}

task<int64_t> broker_context::allocate_producer_id() {
  co_return co_await runtime::submit_to(k_metadata_shard,
                                        [this] { return allocate_producer_id_here(); });
}

task<int64_t> broker_context::allocate_producer_id_here() {
  if (next_producer_id_ < producer_id_end_) co_return next_producer_id_++;
  // A new block, stored in the metadata (the controller's, or this
  // broker's own store) before any of it is used: ids never repeat, across
  // restarts and brokers. Concurrent callers may each take a block; each
  // uses its own, and the rest of a replaced one is never handed out.
  int64_t first = -1;
  int32_t count = 0;
  if (link_) {
    auto r = co_await link_->allocate_producer_ids();
    if (!r || r->error != 0 || r->count <= 0 || r->first_id < 0) co_return -1;
    first = r->first_id;
    count = r->count;
  } else {
    control::topic_errc e = co_await metadata_->update([&](control::cluster_snapshot& s) {
      first = control::take_producer_id_block(s);
      return true;
    });
    if (e != control::topic_errc::ok) co_return -1;
    count = control::k_producer_id_block;
  }
  RILL_ASSERT(first >= 0 && count > 0, "producer id block %lld+%d", static_cast<long long>(first),
              count);
  next_producer_id_ = first + 1;
  producer_id_end_ = first + count;
  co_return first;
}

}  // namespace rill::partition
