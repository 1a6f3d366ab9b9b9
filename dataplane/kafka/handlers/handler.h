// The request handlers: one coroutine per Kafka API, run on the shard of
// the connection that received the request. Each decodes its body, does its
// work (forwarding per-partition work to the owning shards), and returns
// the encoded response.
#pragma once

#include <optional>
#include <string>

#include "base/task.h"
#include "base/turn_queue.h"
#include "base/wire.h"
#include "dataplane/kafka/request_header.h"
#include "dataplane/kafka/response_buffer.h"
#include "dataplane/node/broker_context.h"

namespace rill::kafka {

struct request_context {
  partition::broker_context* broker;
  std::string peer;
};

struct handler_result {
  std::optional<response_buffer> response;  // nullopt: nothing to send (acks=0)
  bool malformed = false;                   // close the connection
  std::string reason;
};

handler_result malformed_request(const request_header& h, const char* what);
response_buffer start_response(const request_header& h);

// A result whose response is the header for h followed by what encode writes.
template <typename Encode>
handler_result respond(const request_header& h, Encode&& encode) {
  handler_result r;
  r.response = start_response(h);
  encode(*r.response);
  return r;
}

// A connection's requests take effect in the order they arrived: a request
// starts once the one before it released its turn. Reads release it as they
// start (a long-polling Fetch must not hold up the produces behind it);
// Produce once its batches are queued on their partitions (they wait for
// the disk and the replicas outside the turn); every other request when it
// is done.
task<handler_result> handle_request(request_header h, std::span<const uint8_t> body,
                                    request_context& ctx, turn_queue::turn& order);

task<handler_result> handle_api_versions(const request_header& h, wire_reader& in);
task<handler_result> handle_metadata(const request_header& h, wire_reader& in,
                                     request_context& ctx);
task<handler_result> handle_produce(const request_header& h, wire_reader& in, request_context& ctx,
                                    turn_queue::turn& order);
task<handler_result> handle_fetch(const request_header& h, wire_reader& in, request_context& ctx);
task<handler_result> handle_list_offsets(const request_header& h, wire_reader& in,
                                         request_context& ctx);
task<handler_result> handle_create_topics(const request_header& h, wire_reader& in,
                                          request_context& ctx);
task<handler_result> handle_delete_topics(const request_header& h, wire_reader& in,
                                          request_context& ctx);
task<handler_result> handle_describe_configs(const request_header& h, wire_reader& in,
                                             request_context& ctx);
task<handler_result> handle_init_producer_id(const request_header& h, wire_reader& in,
                                             request_context& ctx);
task<handler_result> handle_alter_configs(const request_header& h, wire_reader& in,
                                          request_context& ctx);
task<handler_result> handle_elect_leaders(const request_header& h, wire_reader& in,
                                          request_context& ctx);
// cluster_handlers.cc
task<handler_result> handle_offset_for_leader_epoch(const request_header& h, wire_reader& in,
                                                    request_context& ctx);
task<handler_result> handle_describe_cluster(const request_header& h, wire_reader& in,
                                             request_context& ctx);
task<handler_result> handle_delete_records(const request_header& h, wire_reader& in,
                                           request_context& ctx);
task<handler_result> handle_alter_partition_reassignments(const request_header& h, wire_reader& in,
                                                          request_context& ctx);
task<handler_result> handle_list_partition_reassignments(const request_header& h, wire_reader& in,
                                                         request_context& ctx);
task<handler_result> handle_describe_producers(const request_header& h, wire_reader& in,
                                               request_context& ctx);
task<handler_result> handle_describe_log_dirs(const request_header& h, wire_reader& in,
                                              request_context& ctx);
task<handler_result> handle_incremental_alter_configs(const request_header& h, wire_reader& in,
                                                      request_context& ctx);
task<handler_result> handle_create_partitions(const request_header& h, wire_reader& in,
                                              request_context& ctx);
// The id Metadata and DescribeCluster name as the controller.
int32_t reported_controller_id(const control::cluster_snapshot& s);

// The consumer-group APIs (group_handlers.cc, offset_handlers.cc).
task<handler_result> handle_find_coordinator(const request_header& h, wire_reader& in,
                                             request_context& ctx);
task<handler_result> handle_join_group(const request_header& h, wire_reader& in,
                                       request_context& ctx);
task<handler_result> handle_sync_group(const request_header& h, wire_reader& in,
                                       request_context& ctx);
task<handler_result> handle_heartbeat(const request_header& h, wire_reader& in,
                                      request_context& ctx);
task<handler_result> handle_leave_group(const request_header& h, wire_reader& in,
                                        request_context& ctx);
task<handler_result> handle_list_groups(const request_header& h, wire_reader& in,
                                        request_context& ctx);
task<handler_result> handle_describe_groups(const request_header& h, wire_reader& in,
                                            request_context& ctx);
task<handler_result> handle_delete_groups(const request_header& h, wire_reader& in,
                                          request_context& ctx);
task<handler_result> handle_offset_commit(const request_header& h, wire_reader& in,
                                          request_context& ctx);
task<handler_result> handle_offset_fetch(const request_header& h, wire_reader& in,
                                         request_context& ctx);
task<handler_result> handle_offset_delete(const request_header& h, wire_reader& in,
                                          request_context& ctx);
task<handler_result> handle_add_partitions_to_txn(const request_header& h, wire_reader& in,
                                                  request_context& ctx);
task<handler_result> handle_add_offsets_to_txn(const request_header& h, wire_reader& in,
                                               request_context& ctx);
task<handler_result> handle_end_txn(const request_header& h, wire_reader& in, request_context& ctx);
task<handler_result> handle_write_txn_markers(const request_header& h, wire_reader& in,
                                              request_context& ctx);
task<handler_result> handle_txn_offset_commit(const request_header& h, wire_reader& in,
                                              request_context& ctx);

// Creates the topics among names that do not exist, when auto-creation is
// on. Used by Metadata and Produce.
task<void> auto_create_topics(request_context& ctx, const std::vector<std::string>& names);

}  // namespace rill::kafka
