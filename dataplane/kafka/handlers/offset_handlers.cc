// The committed-offset APIs: OffsetCommit, TxnOffsetCommit, OffsetFetch
// (several groups per request from v8) and OffsetDelete, run by the
// group's coordinator.
#include <algorithm>

#include "base/assert.h"
#include "dataplane/group/group_coordinator.h"
#include "dataplane/kafka/handlers/coordinator_routing.h"
#include "dataplane/kafka/handlers/error_mapping.h"
#include "dataplane/kafka/handlers/handler.h"
#include "dataplane/kafka/messages/group.h"
#include "dataplane/kafka/messages/transaction.h"
#include "dataplane/node/shard_state.h"
#include "platform/runtime/cross_shard.h"

namespace rill::kafka {
namespace {

// The offsets of one group, as OffsetFetch answers them.
task<offset_fetch_group_result> fetch_group(request_context& ctx, offset_fetch_group g,
                                            bool require_stable) {
  offset_fetch_group_result out;
  out.group_id = g.group_id;
  coordinator_route route = co_await route_group(ctx, g.group_id);
  std::optional<std::vector<group::topic_partition>> wanted;
  if (g.topics) {
    wanted.emplace();
    for (const offset_fetch_topic& t : *g.topics) {
      for (int32_t p : t.partition_indexes) wanted->emplace_back(t.name, p);
    }
  }
  group::group_offsets offsets;
  out.error = static_cast<int16_t>(route.error);
  RILL_ASSERT(route.error != error_code::none || route.partition >= 0,
              "group %s routed to partition %d", g.group_id.c_str(), route.partition);
  if (route.error == error_code::none) {
    offsets = co_await runtime::submit_to(
        route.owner, [p = route.partition, id = g.group_id, wanted, require_stable]() mutable {
          return group::group_coordinator::local().fetch_offsets(p, std::move(id),
                                                                 std::move(wanted), require_stable);
        });
    out.error = code_of(offsets.error);
  }
  if (out.error != 0 && wanted) {
    // The error also goes on each partition (all v0-1 can carry).
    for (const auto& tp : *wanted) offsets.offsets.push_back({tp, {}});
  }
  for (const auto& [tp, o] : offsets.offsets) {
    if (out.topics.empty() || out.topics.back().name != tp.first) {
      out.topics.push_back({.name = tp.first});
    }
    bool unstable =
        std::find(offsets.unstable.begin(), offsets.unstable.end(), tp) != offsets.unstable.end();
    out.topics.back().partitions.push_back(
        {.index = tp.second,
         .committed_offset = unstable ? -1 : o.offset,
         .committed_leader_epoch = o.leader_epoch,
         .metadata = o.metadata,
         .error = unstable ? static_cast<int16_t>(error_code::unstable_offset_commit) : out.error});
  }
  co_return out;
}

// Commits the offsets of topics (OffsetCommit's or TxnOffsetCommit's) on
// the group's coordinator; the answer per partition, in request order.
// refused: an error every item gets without being tried.
template <typename Topics>
task<std::vector<topic_partition_errors>> commit_offsets(request_context& ctx,
                                                         const std::string& group_id,
                                                         group::commit_request cr,
                                                         const Topics& topics,
                                                         error_code refused = error_code::none) {
  std::vector<topic_partition_errors> out;
  coordinator_route route = co_await route_group(ctx, group_id);
  if (refused == error_code::none) refused = route.error;
  control::snapshot_ptr s = partition::shard_state::local().snapshot();
  // Where each committed item's answer goes.
  std::vector<std::pair<size_t, size_t>> slots;
  for (const auto& t : topics) {
    topic_partition_errors& rt = out.emplace_back();
    rt.name = t.name;
    for (const auto& p : t.partitions) {
      partition_error& rp = rt.partitions.emplace_back();
      rp.index = p.index;
      if (refused != error_code::none) {
        rp.error = static_cast<int16_t>(refused);
      } else if (s->find_partition(t.name, p.index) == nullptr) {
        rp.error = static_cast<int16_t>(error_code::unknown_topic_or_partition);
      } else {
        cr.items.push_back({{t.name, p.index},
                            {.offset = p.committed_offset,
                             .leader_epoch = p.committed_leader_epoch,
                             .metadata = p.committed_metadata.value_or("")}});
        slots.emplace_back(out.size() - 1, rt.partitions.size() - 1);
      }
    }
  }
  if (!cr.items.empty()) {
    std::vector<group::group_errc> errors = co_await runtime::submit_to(
        route.owner, [p = route.partition, id = group_id, cr = std::move(cr)]() mutable {
          return group::group_coordinator::local().commit(p, std::move(id), std::move(cr));
        });
    RILL_ASSERT(errors.size() == slots.size(), "%zu commit answers for %zu offsets", errors.size(),
                slots.size());
    for (size_t i = 0; i < slots.size(); ++i) {
      out[slots[i].first].partitions[slots[i].second].error = code_of(errors[i]);
    }
  }
  co_return out;
}

}  // namespace

task<handler_result> handle_offset_commit(const request_header& h, wire_reader& in,
                                          request_context& ctx) {
  offset_commit_request req;
  if (!decode_message(in, h, &req)) co_return malformed_request(h, "bad body");
  offset_commit_response resp;
  group::commit_request cr{.member_id = req.member_id,
                           .instance_id = req.group_instance_id,
                           .generation = h.version >= 1 ? req.generation_id : -1};
  resp.topics = co_await commit_offsets(ctx, req.group_id, std::move(cr), req.topics);
  co_return respond(h, [&](response_buffer& out) { encode_message(out.writer(), h, resp); });
}

task<handler_result> handle_txn_offset_commit(const request_header& h, wire_reader& in,
                                              request_context& ctx) {
  txn_offset_commit_request req;
  if (!decode_message(in, h, &req)) co_return malformed_request(h, "bad body");
  txn_offset_commit_response resp;
  // Applied with the transaction's commit marker (group_coordinator).
  group::commit_request cr{.member_id = req.member_id,
                           .instance_id = req.group_instance_id,
                           .generation = req.generation_id,
                           .transaction = group::txn_producer{req.producer_id, req.producer_epoch}};
  resp.topics = co_await commit_offsets(
      ctx, req.group_id, std::move(cr), req.topics,
      req.producer_id < 0 ? error_code::invalid_producer_id_mapping : error_code::none);
  if (h.version < 2) {
    // Fencing as clients before v2 know it.
    for (topic_partition_errors& t : resp.topics) {
      for (partition_error& p : t.partitions) {
        if (p.error == static_cast<int16_t>(error_code::producer_fenced)) {
          p.error = static_cast<int16_t>(error_code::invalid_producer_epoch);
        }
      }
    }
  }
  co_return respond(h, [&](response_buffer& out) { encode_message(out.writer(), h, resp); });
}

task<handler_result> handle_offset_fetch(const request_header& h, wire_reader& in,
                                         request_context& ctx) {
  offset_fetch_request req;
  if (!decode_message(in, h, &req)) co_return malformed_request(h, "bad body");
  normalize_offset_fetch(&req, h.version);
  // require_stable (v7+, KIP-447): a partition whose transactional commit
  // is undecided answers UNSTABLE_OFFSET_COMMIT, which clients retry.
  offset_fetch_response resp;
  for (offset_fetch_group& g : req.groups) {
    resp.groups.push_back(co_await fetch_group(ctx, std::move(g), req.require_stable));
  }
  RILL_ASSERT(resp.groups.size() == req.groups.size(), "%zu answers for %zu groups",
              resp.groups.size(), req.groups.size());
  if (resp.groups.empty()) resp.groups.emplace_back();  // v8 with no groups
  co_return respond(h, [&](response_buffer& out) { encode_message(out.writer(), h, resp); });
}

task<handler_result> handle_offset_delete(const request_header& h, wire_reader& in,
                                          request_context& ctx) {
  offset_delete_request req;
  if (!decode_message(in, h, &req)) co_return malformed_request(h, "bad body");
  offset_delete_response resp;
  coordinator_route route = co_await route_group(ctx, req.group_id);
  std::vector<group::topic_partition> tps;
  for (const offset_delete_topic& t : req.topics) {
    topic_partition_errors& rt = resp.topics.emplace_back();
    rt.name = t.name;
    for (int32_t p : t.partitions) {
      rt.partitions.push_back({.index = p});
      tps.emplace_back(t.name, p);
    }
  }
  if (route.error != error_code::none) {
    resp.error = static_cast<int16_t>(route.error);
  } else {
    auto [top, errors] = co_await runtime::submit_to(
        route.owner, [p = route.partition, id = req.group_id, tps]() mutable {
          return group::group_coordinator::local().delete_offsets(p, std::move(id), std::move(tps));
        });
    resp.error = code_of(top);
    RILL_ASSERT(errors.size() == tps.size(), "%zu answers for %zu offsets deleted", errors.size(),
                tps.size());
    size_t i = 0;
    for (topic_partition_errors& t : resp.topics) {
      for (partition_error& p : t.partitions) p.error = code_of(errors[i++]);
    }
  }
  co_return respond(h, [&](response_buffer& out) { encode_message(out.writer(), h, resp); });
}

}  // namespace rill::kafka
