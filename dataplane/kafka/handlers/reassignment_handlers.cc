// AlterPartitionReassignments and ListPartitionReassignments (KIP-455):
// the controller changes the replica lists (control/reassignment.h); the
// brokers follow them; ongoing reassignments are in every broker's
// metadata.
#include "control/controller_rpc.h"
#include "control/reassignment.h"
#include "dataplane/kafka/handlers/error_mapping.h"
#include "dataplane/kafka/handlers/handler.h"
#include "dataplane/kafka/messages/reassignment.h"
#include "dataplane/node/shard_state.h"

namespace rill::kafka {
namespace {

// A controller wire code as Kafka's error.
error_code reassign_error(int16_t wire) {
  if (wire < control::rpc::k_error_reassign_base) {
    return to_kafka(static_cast<control::topic_errc>(wire));
  }
  switch (static_cast<control::reassign_errc>(wire - control::rpc::k_error_reassign_base)) {
    case control::reassign_errc::ok:
      return error_code::none;
    case control::reassign_errc::unknown_partition:
      return error_code::unknown_topic_or_partition;
    case control::reassign_errc::invalid_assignment:
      return error_code::invalid_replica_assignment;
    case control::reassign_errc::no_reassignment:
      return error_code::no_reassignment_in_progress;
  }
  return error_code::unknown_server_error;
}

}  // namespace

task<handler_result> handle_alter_partition_reassignments(const request_header& h, wire_reader& in,
                                                          request_context& ctx) {
  alter_partition_reassignments_request req;
  if (!decode_message(in, h, &req)) co_return malformed_request(h, "bad body");
  control::rpc::alter_reassignments_request forward;
  for (const reassign_topic_request& t : req.topics) {
    for (const reassign_partition_request& p : t.partitions) {
      forward.partitions.push_back({t.name, p.partition, p.replicas});
    }
  }
  std::vector<control::rpc::topic_result_wire> results =
      co_await ctx.broker->alter_reassignments(forward);
  RILL_ASSERT(results.size() == forward.partitions.size(), "%zu results for %zu partitions",
              results.size(), forward.partitions.size());
  alter_partition_reassignments_response resp;
  size_t i = 0;
  for (const reassign_topic_request& t : req.topics) {
    reassign_topic_result& rt = resp.topics.emplace_back();
    rt.name = t.name;
    for (const reassign_partition_request& p : t.partitions) {
      const control::rpc::topic_result_wire& r = results[i++];
      reassign_partition_result& rp = rt.partitions.emplace_back();
      rp.partition = p.partition;
      rp.error = static_cast<int16_t>(reassign_error(r.error));
      if (rp.error != 0) rp.error_message = r.message;
    }
  }
  co_return respond(h, [&](response_buffer& out) { encode_message(out.writer(), h, resp); });
}

task<handler_result> handle_list_partition_reassignments(const request_header& h, wire_reader& in,
                                                         request_context& ctx) {
  list_partition_reassignments_request req;
  if (!decode_message(in, h, &req)) co_return malformed_request(h, "bad body");
  control::snapshot_ptr s = partition::shard_state::local().snapshot();
  list_partition_reassignments_response resp;
  auto add = [&](const std::string& name, const control::partition_info& p) {
    if (!p.reassigning()) return;
    if (resp.topics.empty() || resp.topics.back().name != name) resp.topics.push_back({name, {}});
    resp.topics.back().partitions.push_back(
        {p.index, p.replicas, p.adding_replicas, p.removing_replicas});
  };
  if (!req.topics) {
    for (const auto& [name, t] : s->topics) {
      for (const control::partition_info& p : t.partitions) add(name, p);
    }
  } else {
    for (const list_reassignments_topic& t : *req.topics) {
      for (int32_t index : t.partitions) {
        if (const control::partition_info* p = s->find_partition(t.name, index)) add(t.name, *p);
      }
    }
  }
  co_return respond(h, [&](response_buffer& out) { encode_message(out.writer(), h, resp); });
}

}  // namespace rill::kafka
