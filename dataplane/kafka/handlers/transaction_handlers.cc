// The transaction APIs (KIP-98): InitProducerId, AddPartitionsToTxn,
// AddOffsetsToTxn and EndTxn run by the transactional id's coordinator
// (transaction_coordinator); TxnOffsetCommit is with the other offset APIs
// (offset_handlers.cc); WriteTxnMarkers, from another broker's transaction coordinator, appends
// markers to the partitions this broker leads.
#include "base/assert.h"
#include "base/log.h"
#include "dataplane/group/group_coordinator.h"
#include "dataplane/kafka/handlers/coordinator_routing.h"
#include "dataplane/kafka/handlers/error_mapping.h"
#include "dataplane/kafka/handlers/handler.h"
#include "dataplane/kafka/handlers/txn_markers.h"
#include "dataplane/kafka/messages/admin.h"
#include "dataplane/kafka/messages/transaction.h"
#include "dataplane/node/shard_state.h"
#include "dataplane/transaction/transaction_coordinator.h"
#include "platform/runtime/cross_shard.h"

namespace rill::kafka {
namespace {

using transaction::transaction_coordinator;
using transaction::txn_errc;

error_code code_of_txn(txn_errc e) {
  switch (e) {
    case txn_errc::ok:
      return error_code::none;
    case txn_errc::not_coordinator:
      return error_code::not_coordinator;
    case txn_errc::coordinator_load_in_progress:
      return error_code::coordinator_load_in_progress;
    case txn_errc::coordinator_not_available:
      return error_code::coordinator_not_available;
    case txn_errc::concurrent_transactions:
      return error_code::concurrent_transactions;
    case txn_errc::invalid_producer_id_mapping:
      return error_code::invalid_producer_id_mapping;
    case txn_errc::producer_fenced:
      return error_code::producer_fenced;
    case txn_errc::invalid_txn_state:
      return error_code::invalid_txn_state;
    case txn_errc::invalid_transaction_timeout:
      return error_code::invalid_transaction_timeout;
    case txn_errc::unknown_topic_or_partition:
      return error_code::unknown_topic_or_partition;
    case txn_errc::operation_not_attempted:
      return error_code::operation_not_attempted;
  }
  return error_code::unknown_server_error;
}

// Producer fencing before v2 of these APIs (Kafka answers older clients
// INVALID_PRODUCER_EPOCH, which they know).
int16_t fenced_for_version(txn_errc e, int16_t version, int16_t first_knowing_fenced) {
  if (e == txn_errc::producer_fenced && version < first_knowing_fenced) {
    return static_cast<int16_t>(error_code::invalid_producer_epoch);
  }
  return static_cast<int16_t>(code_of_txn(e));
}

txn_errc route_error(error_code e) {
  switch (e) {
    case error_code::not_coordinator:
      return txn_errc::not_coordinator;
    case error_code::coordinator_load_in_progress:
      return txn_errc::coordinator_load_in_progress;
    default:
      return txn_errc::coordinator_not_available;
  }
}

// Adds partitions to the id's transaction on its coordinator; one error
// per partition, in order.
task<std::vector<txn_errc>> add_on_coordinator(request_context& ctx, const std::string& id,
                                               int64_t producer_id, int16_t producer_epoch,
                                               std::vector<transaction::topic_partition> tps) {
  coordinator_route route = co_await route_coordinator(ctx, coordinator_kind::transaction, id);
  if (route.error != error_code::none) {
    co_return std::vector<txn_errc>(tps.size(), route_error(route.error));
  }
  co_return co_await runtime::submit_to(route.owner, [p = route.partition, id = std::string(id),
                                                      producer_id, producer_epoch, tps]() mutable {
    return transaction_coordinator::local().add_partitions(p, std::move(id), producer_id,
                                                           producer_epoch, std::move(tps));
  });
}

}  // namespace

task<handler_result> handle_init_producer_id(const request_header& h, wire_reader& in,
                                             request_context& ctx) {
  init_producer_id_request req;
  if (!decode_init_producer_id_request(in, h, &req)) co_return malformed_request(h, "bad body");
  auto answer = [&](error_code e, int64_t id, int16_t epoch) {
    return respond(h, [&](response_buffer& out) {
      encode_init_producer_id_response(out.writer(), h, e, id, epoch);
    });
  };
  if (!req.transactional_id) {
    // An idempotent producer: a fresh id from the controller's blocks.
    int64_t id = co_await ctx.broker->allocate_producer_id();
    RILL_ASSERT(id >= -1, "producer id %lld handed out", static_cast<long long>(id));
    if (id < 0) co_return answer(error_code::coordinator_not_available, -1, -1);
    co_return answer(error_code::none, id, 0);
  }
  if (req.transactional_id->empty()) co_return answer(error_code::invalid_request, -1, -1);
  coordinator_route route =
      co_await route_coordinator(ctx, coordinator_kind::transaction, *req.transactional_id);
  if (route.error != error_code::none) co_return answer(route.error, -1, -1);
  transaction::init_answer a = co_await runtime::submit_to(
      route.owner,
      [p = route.partition, id = *req.transactional_id, timeout = req.transaction_timeout_ms,
       expected = transaction::producer_identity{req.producer_id, req.producer_epoch}]() mutable {
        return transaction_coordinator::local().init_producer_id(p, std::move(id), timeout,
                                                                 expected);
      });
  error_code e = code_of_txn(a.error);
  if (e == error_code::producer_fenced && h.version < 4) e = error_code::invalid_producer_epoch;
  co_return answer(e, a.producer_id, a.producer_epoch);
}

task<handler_result> handle_add_partitions_to_txn(const request_header& h, wire_reader& in,
                                                  request_context& ctx) {
  add_partitions_to_txn_request req;
  if (!decode_message(in, h, &req)) co_return malformed_request(h, "bad body");
  add_partitions_to_txn_response resp;
  control::snapshot_ptr s = partition::shard_state::local().snapshot();
  std::vector<transaction::topic_partition> tps;
  bool unknown = false;
  for (const txn_topic& t : req.topics) {
    for (int32_t p : t.partitions) {
      tps.emplace_back(t.name, p);
      if (s->find_partition(t.name, p) == nullptr) unknown = true;
    }
  }
  std::vector<int16_t> errors(tps.size(), 0);
  if (unknown) {
    // Kafka adds none: the unknown ones say why, the rest were not tried.
    for (size_t i = 0; i < tps.size(); ++i) {
      errors[i] = static_cast<int16_t>(s->find_partition(tps[i].first, tps[i].second) == nullptr
                                           ? error_code::unknown_topic_or_partition
                                           : error_code::operation_not_attempted);
    }
  } else if (!tps.empty()) {
    std::vector<txn_errc> r = co_await add_on_coordinator(ctx, req.transactional_id,
                                                          req.producer_id, req.producer_epoch, tps);
    RILL_ASSERT(r.size() == tps.size(), "%zu answers for %zu partitions", r.size(), tps.size());
    for (size_t i = 0; i < r.size(); ++i) errors[i] = fenced_for_version(r[i], h.version, 2);
  }
  size_t i = 0;
  for (const txn_topic& t : req.topics) {
    topic_partition_errors& rt = resp.results.emplace_back();
    rt.name = t.name;
    for (int32_t p : t.partitions) rt.partitions.push_back({.index = p, .error = errors[i++]});
  }
  co_return respond(h, [&](response_buffer& out) { encode_message(out.writer(), h, resp); });
}

task<handler_result> handle_add_offsets_to_txn(const request_header& h, wire_reader& in,
                                               request_context& ctx) {
  add_offsets_to_txn_request req;
  if (!decode_message(in, h, &req)) co_return malformed_request(h, "bad body");
  txn_error_response resp;
  // The group's offsets partition joins the transaction: its commit
  // marker is what makes the TxnOffsetCommits take effect.
  if (req.group_id.empty()) {
    resp.error = static_cast<int16_t>(error_code::invalid_group_id);
  } else if (!co_await ensure_coordinator_topic(ctx, coordinator_kind::group)) {
    resp.error = static_cast<int16_t>(error_code::coordinator_not_available);
  } else {
    control::snapshot_ptr s = partition::shard_state::local().snapshot();
    const control::topic_info* offsets = s->find_topic(group::k_offsets_topic);
    if (offsets == nullptr || offsets->partitions.empty()) {
      resp.error = static_cast<int16_t>(error_code::coordinator_not_available);
    } else {
      int32_t p = group::offsets_partition_for(req.group_id,
                                               static_cast<int32_t>(offsets->partitions.size()));
      std::vector<txn_errc> r =
          co_await add_on_coordinator(ctx, req.transactional_id, req.producer_id,
                                      req.producer_epoch, {{group::k_offsets_topic, p}});
      RILL_ASSERT(r.size() == 1, "%zu answers for one offsets partition", r.size());
      resp.error = fenced_for_version(r[0], h.version, 2);
    }
  }
  co_return respond(h, [&](response_buffer& out) { encode_message(out.writer(), h, resp); });
}

task<handler_result> handle_end_txn(const request_header& h, wire_reader& in,
                                    request_context& ctx) {
  end_txn_request req;
  if (!decode_message(in, h, &req)) co_return malformed_request(h, "bad body");
  txn_error_response resp;
  coordinator_route route =
      co_await route_coordinator(ctx, coordinator_kind::transaction, req.transactional_id);
  txn_errc e = route_error(route.error);
  if (route.error == error_code::none) {
    e = co_await runtime::submit_to(
        route.owner, [p = route.partition, id = req.transactional_id, pid = req.producer_id,
                      epoch = req.producer_epoch, commit = req.committed]() mutable {
          return transaction_coordinator::local().end_txn(p, std::move(id), pid, epoch, commit);
        });
  }
  resp.error = fenced_for_version(e, h.version, 2);
  RILL_DEBUG("txn", "%s: EndTxn(%s) of %s: %s", ctx.peer.c_str(),
             req.committed ? "commit" : "abort", req.transactional_id.c_str(),
             transaction::txn_errc_name(e));
  co_return respond(h, [&](response_buffer& out) { encode_message(out.writer(), h, resp); });
}

task<handler_result> handle_write_txn_markers(const request_header& h, wire_reader& in,
                                              request_context& ctx) {
  write_txn_markers_request req;
  if (!decode_message(in, h, &req)) co_return malformed_request(h, "bad body");
  partition::shard_state& local = partition::shard_state::local();
  control::snapshot_ptr s = local.snapshot();
  write_txn_markers_response resp;
  for (const txn_marker_entry& m : req.markers) {
    txn_marker_result& rm = resp.markers.emplace_back();
    rm.producer_id = m.producer_id;
    for (const txn_topic& t : m.topics) {
      topic_partition_errors& rt = rm.topics.emplace_back();
      rt.name = t.name;
      for (int32_t p : t.partitions) {
        error_code e = error_code::unknown_topic_or_partition;
        if (m.producer_id < 0) {
          e = error_code::invalid_request;
        } else if (s->find_partition(t.name, p) != nullptr) {
          e = co_await runtime::submit_to(
              local.owner_of(t.name, p),
              [topic = t.name, p, id = m.producer_id, epoch = m.producer_epoch, c = m.committed,
               ce = m.coordinator_epoch] { return write_marker_here(topic, p, id, epoch, c, ce); });
        }
        rt.partitions.push_back({.index = p, .error = static_cast<int16_t>(e)});
      }
    }
  }
  RILL_DEBUG("txn", "%s: WriteTxnMarkers for %zu producers", ctx.peer.c_str(), req.markers.size());
  co_return respond(h, [&](response_buffer& out) { encode_message(out.writer(), h, resp); });
}

}  // namespace rill::kafka
