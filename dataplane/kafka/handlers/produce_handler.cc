// Produce: split by owning shard, append on each shard concurrently (so
// appends to one log share a write and an fsync), answer in request order.
// Batches land in the order the connection sent its requests: see
// handle_request and partition_replica::produce.
#include <functional>
#include <map>

#include "base/assert.h"
#include "base/log.h"
#include "dataplane/group/group_coordinator.h"
#include "dataplane/kafka/handlers/error_mapping.h"
#include "dataplane/kafka/handlers/handler.h"
#include "dataplane/kafka/messages/produce.h"
#include "dataplane/node/shard_state.h"
#include "dataplane/transaction/transaction_coordinator.h"
#include "platform/runtime/cross_shard.h"
#include "platform/runtime/when_all.h"
#include "storage/compression.h"
#include "storage/legacy_message_set.h"

namespace rill::kafka {
namespace {

struct produce_item {
  size_t topic_slot;
  size_t partition_slot;
  std::string topic;
  int32_t partition;
  storage::batch_bytes records;
};

task<partition::produce_outcome> produce_one(std::string topic, int32_t index,
                                             storage::batch_bytes records, int16_t acks,
                                             int32_t timeout_ms) {
  auto& local = partition::shard_state::local();
  RILL_ASSERT(local.owner_of(topic, index) == local.shard().id(),
              "%s-%d produced to on shard %u, not its owner", topic.c_str(), index,
              local.shard().id().value());
  std::shared_ptr<partition::partition_replica> r = local.find_shared(topic, index);
  if (r == nullptr) co_return partition::produce_outcome{partition::partition_errc::not_leader};
  co_return co_await r->produce(std::move(records), acks, timeout_ms);
}

// Runs on the owning shard: all of its partitions at once.
task<std::vector<partition::produce_outcome>> produce_on_owner(std::vector<produce_item> items,
                                                               int16_t acks, int32_t timeout_ms) {
  RILL_ASSERT(!items.empty(), "an owner shard called with no partitions");
  std::vector<task<partition::produce_outcome>> work;
  work.reserve(items.size());
  for (produce_item& item : items) {
    work.push_back(produce_one(std::move(item.topic), item.partition, std::move(item.records), acks,
                               timeout_ms));
  }
  std::vector<partition::produce_outcome> outcomes = co_await runtime::when_all(std::move(work));
  RILL_ASSERT(outcomes.size() == items.size(), "%zu outcomes for %zu partitions", outcomes.size(),
              items.size());
  co_return outcomes;
}

using owner_call_fn = std::function<task<std::vector<partition::produce_outcome>>()>;

task<runtime::posted_call<owner_call_fn>> post_to_owner(runtime::shard_id owner,
                                                        std::vector<produce_item> items,
                                                        int16_t acks, int32_t timeout_ms) {
  owner_call_fn call = [items = std::move(items), acks, timeout_ms]() mutable {
    return produce_on_owner(std::move(items), acks, timeout_ms);
  };
  co_return co_await runtime::post_to(owner, std::move(call));
}

// Produce v0-v2 carry message formats v0/v1: stored as one RecordBatch v2.
bool upconvert(produce_partition& p, produce_partition_response* pr) {
  RILL_ASSERT(pr->index == p.index && pr->error == error_code::none,
              "up-converting into another partition's answer");
  if (p.records == nullptr) return true;
  auto batch = storage::upconvert_message_set(*p.records, storage::k_inflated_batch_bytes_max);
  if (!batch.ok()) {
    pr->error = batch.error() == storage::legacy_errc::unsupported_codec
                    ? error_code::unsupported_compression_type
                    : error_code::corrupt_message;
    pr->error_message = storage::legacy_errc_name(batch.error());
    return false;
  }
  p.records = std::make_shared<std::vector<uint8_t>>(std::move(batch).value());
  return true;
}

}  // namespace

task<handler_result> handle_produce(const request_header& h, wire_reader& in, request_context& ctx,
                                    turn_queue::turn& order) {
  produce_request req;
  if (!decode_message(in, h, &req)) co_return malformed_request(h, "bad body");
  produce_response response;
  std::vector<produce_topic_response>& resp = response.topics;
  resp.resize(req.topics.size());
  bool acks_ok = req.acks == 0 || req.acks == 1 || req.acks == -1;
  std::vector<std::string> names;
  for (const produce_topic& t : req.topics) names.push_back(t.name);
  if (acks_ok) co_await auto_create_topics(ctx, names);
  auto& local = partition::shard_state::local();
  control::snapshot_ptr s = local.snapshot();
  std::map<uint32_t, std::vector<produce_item>> by_owner;
  for (size_t ti = 0; ti < req.topics.size(); ++ti) {
    produce_topic& t = req.topics[ti];
    resp[ti].name = t.name;
    for (size_t pi = 0; pi < t.partitions.size(); ++pi) {
      produce_partition& p = t.partitions[pi];
      produce_partition_response& pr = resp[ti].partitions.emplace_back();
      pr.index = p.index;
      const control::partition_info* info = s->find_partition(t.name, p.index);
      if (!acks_ok || (req.transactional_id && req.acks != -1)) {
        pr.error = error_code::invalid_required_acks;  // a transaction writes with acks=all
      } else if (t.name == group::k_offsets_topic || t.name == transaction::k_txn_state_topic) {
        pr.error = error_code::invalid_topic_exception;  // only the coordinator writes there
        pr.error_message = "cannot produce to an internal topic";
      } else if (info == nullptr) {
        pr.error = error_code::unknown_topic_or_partition;
      } else if (h.version < 3 && !upconvert(p, &pr)) {
        continue;  // pr says why
      } else if (info->leader != ctx.broker->settings().broker_id) {
        pr.error = error_code::not_leader_or_follower;
      } else {
        by_owner[local.owner_of(t.name, p.index).value()].push_back(
            {ti, pi, t.name, p.index, std::move(p.records)});
      }
    }
  }
  // Per owner, where each outcome goes in resp; the items move to the owner.
  // Each owner takes the partitions' turns as the call arrives, so once
  // every call is posted this request's place is fixed and the next one
  // may start; the writes and replication waits overlap with it.
  std::vector<std::vector<std::pair<size_t, size_t>>> slots;
  std::vector<runtime::posted_call<owner_call_fn>> calls;
  for (auto& [owner, items] : by_owner) {
    auto& group = slots.emplace_back();
    for (const produce_item& item : items) group.emplace_back(item.topic_slot, item.partition_slot);
    calls.push_back(co_await post_to_owner(runtime::shard_id(owner), std::move(items), req.acks,
                                           req.timeout_ms));
  }
  order.release();
  std::vector<std::vector<partition::produce_outcome>> results;
  results.reserve(calls.size());
  for (auto& call : calls) results.push_back(co_await call.result());
  RILL_ASSERT(results.size() == slots.size(), "%zu owners answered of %zu", results.size(),
              slots.size());
  for (size_t g = 0; g < slots.size(); ++g) {
    RILL_ASSERT(results[g].size() == slots[g].size(), "owner %zu: %zu outcomes for %zu partitions",
                g, results[g].size(), slots[g].size());
    for (size_t i = 0; i < slots[g].size(); ++i) {
      auto [topic_slot, partition_slot] = slots[g][i];
      const partition::produce_outcome& o = results[g][i];
      produce_partition_response& pr = resp[topic_slot].partitions[partition_slot];
      pr.error = to_kafka(o.error);
      pr.base_offset = o.base_offset;
      pr.log_append_time_ms = o.log_append_time_ms;
      pr.log_start_offset = o.log_start_offset;
    }
  }
  if (req.acks == 0) co_return handler_result{};  // acks=0: the producer expects no answer
  co_return respond(h, [&](response_buffer& out) { encode_message(out, h, response); });
}

}  // namespace rill::kafka
