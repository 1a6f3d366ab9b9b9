// Fetch: read every requested partition on its owning shard; when less than
// min_bytes is available, long-poll until data arrives or max_wait passes.
// Fetch sessions (v7+, fetch_session_cache.h) decide which partitions a
// request means and which an answer carries.
#include <algorithm>
#include <map>
#include <memory>

#include "base/assert.h"
#include "dataplane/kafka/handlers/error_mapping.h"
#include "dataplane/kafka/handlers/fetch_session_cache.h"
#include "dataplane/kafka/handlers/handler.h"
#include "dataplane/kafka/messages/fetch.h"
#include "dataplane/node/shard_state.h"
#include "dataplane/replication/byte_rate_limiter.h"
#include "platform/runtime/clock.h"
#include "platform/runtime/cross_shard.h"
#include "platform/runtime/when_all.h"
#include "storage/record_batch.h"

namespace rill::kafka {
namespace {

struct fetch_item {
  size_t topic_slot;
  size_t partition_slot;
  std::string topic;
  fetch_partition request;
};

// Fetch's isolation_level: 1 reads committed transactions only (KIP-98).
constexpr int8_t k_read_committed = 1;

task<partition::fetch_outcome> fetch_one(std::string topic, fetch_partition p, int32_t replica_id,
                                         int8_t isolation) {
  auto& local = partition::shard_state::local();
  RILL_ASSERT(local.owner_of(topic, p.index) == local.shard().id(),
              "%s-%d fetched on shard %u, not its owner", topic.c_str(), p.index,
              local.shard().id().value());
  std::shared_ptr<partition::partition_replica> r = local.find_shared(topic, p.index);
  if (r == nullptr) co_return partition::fetch_outcome{partition::partition_errc::not_leader};
  if (replica_id >= 0) {
    co_return co_await r->replica_fetch(
        {.replica = ids::broker{replica_id},
         .offset = ids::offset{p.fetch_offset},
         .last_fetched_epoch = ids::leader_epoch{p.last_fetched_epoch},
         .current_leader_epoch = ids::leader_epoch{p.current_leader_epoch},
         .max_bytes = p.max_bytes});
  }
  co_return co_await r->fetch(ids::offset{p.fetch_offset}, p.max_bytes,
                              ids::leader_epoch{p.current_leader_epoch},
                              isolation == k_read_committed);
}

task<std::vector<partition::fetch_outcome>> fetch_on_owner(std::vector<fetch_item> items,
                                                           int32_t replica_id, int8_t isolation) {
  RILL_ASSERT(!items.empty(), "an owner shard called with no partitions");
  std::vector<task<partition::fetch_outcome>> work;
  work.reserve(items.size());
  for (const fetch_item& item : items)
    work.push_back(fetch_one(item.topic, item.request, replica_id, isolation));
  std::vector<partition::fetch_outcome> outcomes = co_await runtime::when_all(std::move(work));
  RILL_ASSERT(outcomes.size() == items.size(), "%zu outcomes for %zu partitions", outcomes.size(),
              items.size());
  co_return outcomes;
}

// Waits on the owning shard until one of the partitions' high watermark
// passes its fetch offset, or until deadline_ns.
task<bool> wait_for_data_on_owner(std::vector<fetch_item> items, uint64_t deadline_ns,
                                  int32_t replica_id, int8_t isolation) {
  auto& local = partition::shard_state::local();
  for (;;) {
    bool any = false;
    for (const fetch_item& item : items) {
      partition::partition_replica* r = local.find(item.topic, item.request.index);
      if (r == nullptr) continue;
      any = true;
      // Followers wait for the log end to move, consumers for the high
      // watermark, or the last stable offset when reading committed.
      int64_t visible = replica_id >= 0                 ? r->log_end_offset()
                        : isolation == k_read_committed ? r->last_stable_offset()
                                                        : r->high_watermark();
      if (visible > item.request.fetch_offset) co_return true;
    }
    if (!any || runtime::monotonic_ns() >= deadline_ns) co_return false;
    // Any append on this shard's partitions wakes us to re-check.
    auto reason = co_await local.activity().wait_until(local.shard(), deadline_ns);
    if (reason == runtime::wake_reason::timed_out) co_return false;
  }
}

// Keeps what fits in budget bytes of records, whole batches only; the
// first batch stays whatever its size when nothing was kept before (so a
// consumer always makes progress, as Kafka's max_bytes promises).
void trim_to_budget(storage::read_result& r, size_t* budget_used, size_t budget) {
  const size_t used_before = *budget_used;
  const size_t bytes_before = r.bytes;
  storage::read_result kept;
  kept.from_memory = r.from_memory;
  for (storage::batch_slice& slice : r.slices) {
    size_t at = 0;
    size_t take = 0;
    while (at < slice.bytes.size()) {
      size_t size = storage::batch_view(slice.bytes.data() + at).size_bytes();
      bool first = *budget_used == 0 && take == 0 && kept.bytes == 0;
      if (!first && *budget_used + size > budget) break;
      *budget_used += size;
      take += size;
      at += size;
    }
    if (take > 0) {
      kept.slices.push_back({slice.owner, slice.bytes.first(take)});
      kept.bytes += take;
    }
    if (at < slice.bytes.size()) break;
  }
  RILL_ASSERT(kept.bytes <= bytes_before && *budget_used - used_before == kept.bytes,
              "trimmed %zu bytes to %zu, budget moved by %zu", bytes_before, kept.bytes,
              *budget_used - used_before);
  r = std::move(kept);
}

// This shard's share of leader.replication.throttled.rate.
replication::byte_rate_limiter& reassignment_throttle(const partition::broker_settings& settings) {
  static thread_local replication::byte_rate_limiter limiter(
      static_cast<uint64_t>(settings.leader_replication_throttled_rate) /
      std::max<uint32_t>(settings.shards, 1));
  return limiter;
}

// A follower catching up as a reassignment adds it is throttled: its data
// goes only while the shard's budget lasts. Returns whether it dropped any.
bool throttle_reassignment(std::vector<fetch_topic_response>& resp, const fetch_request& req,
                           const control::cluster_snapshot& s,
                           replication::byte_rate_limiter& limiter) {
  if (req.replica_id < 0 || !limiter.limited()) return false;
  bool dropped = false;
  for (fetch_topic_response& t : resp) {
    for (fetch_partition_response& p : t.partitions) {
      const control::partition_info* info = s.find_partition(t.name, p.index);
      if (info == nullptr || p.records.bytes == 0 ||
          std::find(info->adding_replicas.begin(), info->adding_replicas.end(), req.replica_id) ==
              info->adding_replicas.end()) {
        continue;
      }
      if (!limiter.try_take(p.records.bytes, runtime::monotonic_ns())) {
        p.records = storage::read_result{};
        dropped = true;
      }
    }
  }
  return dropped;
}

// This shard's fetch sessions: its share of the broker's slots.
fetch_session_cache& shard_fetch_sessions(const partition::broker_settings& settings) {
  static thread_local std::unique_ptr<fetch_session_cache> cache;
  if (cache == nullptr) {
    size_t slots = static_cast<size_t>(std::max<int32_t>(settings.fetch_session_slots, 0));
    size_t shards = std::max<uint32_t>(settings.shards, 1);
    cache = std::make_unique<fetch_session_cache>(
        slots == 0 ? 0 : std::max<size_t>(slots / shards, 1),
        static_cast<uint64_t>(settings.fetch_session_eviction_ms) * runtime::k_ns_per_ms,
        runtime::monotonic_ns() ^ partition::shard_state::local().shard().id().value());
  }
  return *cache;
}

size_t records_bytes(const std::vector<fetch_topic_response>& resp) {
  size_t n = 0;
  for (const fetch_topic_response& t : resp) {
    for (const fetch_partition_response& p : t.partitions) n += p.records.bytes;
  }
  return n;
}

}  // namespace

task<handler_result> handle_fetch(const request_header& h, wire_reader& in, request_context& ctx) {
  fetch_request req;
  if (!decode_message(in, h, &req)) co_return malformed_request(h, "bad body");
  auto& local = partition::shard_state::local();
  fetch_session_cache& sessions = shard_fetch_sessions(ctx.broker->settings());
  const fetch_session_plan plan = sessions.begin(req, h.version, runtime::monotonic_ns());
  if (plan.error != error_code::none) {
    // A session error answers the whole request, with no partitions.
    fetch_response failed{.error = plan.error};
    co_return respond(h, [&](response_buffer& out) { encode_message(out, h, failed); });
  }
  const std::vector<fetch_topic>& wanted = req.topics;
  control::snapshot_ptr s = local.snapshot();
  fetch_response response;
  std::vector<fetch_topic_response>& resp = response.topics;
  resp.resize(wanted.size());
  std::map<uint32_t, std::vector<fetch_item>> by_owner;
  for (size_t ti = 0; ti < wanted.size(); ++ti) {
    resp[ti].name = wanted[ti].name;
    for (size_t pi = 0; pi < wanted[ti].partitions.size(); ++pi) {
      const fetch_partition& p = wanted[ti].partitions[pi];
      fetch_partition_response& pr = resp[ti].partitions.emplace_back();
      pr.index = p.index;
      const control::partition_info* info = s->find_partition(wanted[ti].name, p.index);
      if (info == nullptr) {
        pr.error = error_code::unknown_topic_or_partition;
      } else if (info->leader != ctx.broker->settings().broker_id) {
        pr.error = error_code::not_leader_or_follower;
        pr.current_leader_id = info->leader;
        pr.current_leader_epoch = info->leader_epoch;
      } else {
        by_owner[local.owner_of(wanted[ti].name, p.index).value()].push_back(
            {ti, pi, wanted[ti].name, p});
      }
    }
  }
  int64_t wait_ms =
      std::clamp<int64_t>(req.max_wait_ms, 0, ctx.broker->settings().fetch_wait_max_ms);
  uint64_t deadline =
      runtime::monotonic_ns() + static_cast<uint64_t>(wait_ms) * runtime::k_ns_per_ms;
  for (;;) {
    std::vector<task<std::vector<partition::fetch_outcome>>> work;
    for (auto& entry : by_owner) {
      const std::vector<fetch_item>& items = entry.second;
      work.push_back(runtime::submit_to(runtime::shard_id(entry.first), [&items, &req]() {
        return fetch_on_owner(items, req.replica_id, req.isolation_level);
      }));
    }
    auto results = co_await runtime::when_all(std::move(work));
    size_t total = 0;
    bool any_error = false;
    size_t g = 0;
    for (auto& [owner, items] : by_owner) {
      RILL_ASSERT(results[g].size() == items.size(), "shard %u: %zu outcomes for %zu partitions",
                  owner, results[g].size(), items.size());
      for (size_t i = 0; i < items.size(); ++i) {
        partition::fetch_outcome& o = results[g][i];
        fetch_partition_response& pr =
            resp[items[i].topic_slot].partitions[items[i].partition_slot];
        pr.error = to_kafka(o.error);
        pr.high_watermark = o.high_watermark;
        pr.last_stable_offset = o.last_stable_offset >= 0 ? o.last_stable_offset : o.high_watermark;
        pr.aborted.clear();
        for (const storage::aborted_txn& a : o.aborted) {
          pr.aborted.push_back({a.producer_id, a.first_offset});
        }
        pr.log_start_offset = o.log_start_offset;
        pr.diverging_epoch = o.diverging_epoch;
        pr.diverging_end_offset = o.diverging_end_offset;
        total += o.records.bytes;
        any_error = any_error || o.error != partition::partition_errc::ok || o.diverging_epoch >= 0;
        pr.records = std::move(o.records);
      }
      ++g;
    }
    bool enough = static_cast<int64_t>(total) >= std::max<int32_t>(req.min_bytes, 1);
    if (enough || any_error || by_owner.empty() || runtime::monotonic_ns() >= deadline) {
      // The response's max_bytes over all partitions, in request order.
      size_t used = 0;
      auto budget = static_cast<size_t>(std::max<int32_t>(req.max_bytes, 0));
      for (fetch_topic_response& t : resp) {
        for (fetch_partition_response& p : t.partitions) trim_to_budget(p.records, &used, budget);
      }
      replication::byte_rate_limiter& throttle = reassignment_throttle(ctx.broker->settings());
      if (!throttle_reassignment(resp, req, *s, throttle) || records_bytes(resp) > 0 || any_error ||
          runtime::monotonic_ns() >= deadline) {
        break;
      }
      // Only throttled data was there: wait for the budget, then read anew.
      uint64_t now = runtime::monotonic_ns();
      co_await runtime::sleep_for(local.shard(), std::min(throttle.wait_ns(now), deadline - now));
      continue;
    }
    // Wait on one owner; with partitions on several shards, re-check often.
    uint64_t slice = by_owner.size() == 1
                         ? deadline
                         : std::min(deadline, runtime::monotonic_ns() + 10 * runtime::k_ns_per_ms);
    const std::vector<fetch_item>& first = by_owner.begin()->second;
    (void)co_await runtime::submit_to(
        runtime::shard_id(by_owner.begin()->first), [&first, slice, &req]() {
          return wait_for_data_on_owner(first, slice, req.replica_id, req.isolation_level);
        });
  }
  RILL_ASSERT(resp.size() == wanted.size(), "fetch answered %zu topics for %zu asked", resp.size(),
              wanted.size());
  sessions.finish(plan, response);
  co_return respond(h, [&](response_buffer& out) { encode_message(out, h, response); });
}

}  // namespace rill::kafka
