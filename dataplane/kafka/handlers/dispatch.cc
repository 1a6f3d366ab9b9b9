#include "base/assert.h"
#include "base/log.h"
#include "control/topic_config.h"
#include "dataplane/kafka/handlers/handler.h"
#include "dataplane/node/shard_state.h"

namespace rill::kafka {

handler_result malformed_request(const request_header& h, const char* what) {
  handler_result r;
  r.malformed = true;
  r.reason = std::string("malformed ") + api_name(h.key) + " v" + std::to_string(h.version) +
             " request: " + what;
  return r;
}

response_buffer start_response(const request_header& h) {
  response_buffer rb;
  encode_response_header(h, rb.writer());
  return rb;
}

namespace {

// APIs that only read: their effects need no place in the connection's order.
bool reads_only(api_key key) {
  switch (key) {
    case api_key::api_versions:
    case api_key::metadata:
    case api_key::fetch:
    case api_key::list_offsets:
    case api_key::describe_configs:
    case api_key::find_coordinator:
    case api_key::offset_for_leader_epoch:
    case api_key::offset_fetch:
    case api_key::list_groups:
    case api_key::describe_groups:
    case api_key::describe_cluster:
    case api_key::describe_log_dirs:
    case api_key::describe_producers:
    case api_key::list_partition_reassignments:
      return true;
    default:
      return false;
  }
}

}  // namespace

task<handler_result> handle_request(request_header h, std::span<const uint8_t> body,
                                    request_context& ctx, turn_queue::turn& order) {
  RILL_ASSERT(order.held(), "%s handled without its turn", api_name(h.key));
  wire_reader in(body);
  if (reads_only(static_cast<api_key>(h.key))) order.release();
  switch (static_cast<api_key>(h.key)) {
    case api_key::api_versions:
      co_return co_await handle_api_versions(h, in);
    case api_key::metadata:
      co_return co_await handle_metadata(h, in, ctx);
    case api_key::produce:
      co_return co_await handle_produce(h, in, ctx, order);
    case api_key::fetch:
      co_return co_await handle_fetch(h, in, ctx);
    case api_key::list_offsets:
      co_return co_await handle_list_offsets(h, in, ctx);
    case api_key::create_topics:
      co_return co_await handle_create_topics(h, in, ctx);
    case api_key::delete_topics:
      co_return co_await handle_delete_topics(h, in, ctx);
    case api_key::describe_configs:
      co_return co_await handle_describe_configs(h, in, ctx);
    case api_key::init_producer_id:
      co_return co_await handle_init_producer_id(h, in, ctx);
    case api_key::add_partitions_to_txn:
      co_return co_await handle_add_partitions_to_txn(h, in, ctx);
    case api_key::add_offsets_to_txn:
      co_return co_await handle_add_offsets_to_txn(h, in, ctx);
    case api_key::end_txn:
      co_return co_await handle_end_txn(h, in, ctx);
    case api_key::write_txn_markers:
      co_return co_await handle_write_txn_markers(h, in, ctx);
    case api_key::txn_offset_commit:
      co_return co_await handle_txn_offset_commit(h, in, ctx);
    case api_key::find_coordinator:
      co_return co_await handle_find_coordinator(h, in, ctx);
    case api_key::alter_configs:
      co_return co_await handle_alter_configs(h, in, ctx);
    case api_key::elect_leaders:
      co_return co_await handle_elect_leaders(h, in, ctx);
    case api_key::join_group:
      co_return co_await handle_join_group(h, in, ctx);
    case api_key::sync_group:
      co_return co_await handle_sync_group(h, in, ctx);
    case api_key::heartbeat:
      co_return co_await handle_heartbeat(h, in, ctx);
    case api_key::leave_group:
      co_return co_await handle_leave_group(h, in, ctx);
    case api_key::list_groups:
      co_return co_await handle_list_groups(h, in, ctx);
    case api_key::describe_groups:
      co_return co_await handle_describe_groups(h, in, ctx);
    case api_key::delete_groups:
      co_return co_await handle_delete_groups(h, in, ctx);
    case api_key::offset_commit:
      co_return co_await handle_offset_commit(h, in, ctx);
    case api_key::offset_fetch:
      co_return co_await handle_offset_fetch(h, in, ctx);
    case api_key::offset_delete:
      co_return co_await handle_offset_delete(h, in, ctx);
    case api_key::offset_for_leader_epoch:
      co_return co_await handle_offset_for_leader_epoch(h, in, ctx);
    case api_key::describe_cluster:
      co_return co_await handle_describe_cluster(h, in, ctx);
    case api_key::delete_records:
      co_return co_await handle_delete_records(h, in, ctx);
    case api_key::describe_log_dirs:
      co_return co_await handle_describe_log_dirs(h, in, ctx);
    case api_key::describe_producers:
      co_return co_await handle_describe_producers(h, in, ctx);
    case api_key::alter_partition_reassignments:
      co_return co_await handle_alter_partition_reassignments(h, in, ctx);
    case api_key::list_partition_reassignments:
      co_return co_await handle_list_partition_reassignments(h, in, ctx);
    case api_key::incremental_alter_configs:
      co_return co_await handle_incremental_alter_configs(h, in, ctx);
    case api_key::create_partitions:
      co_return co_await handle_create_partitions(h, in, ctx);
  }
  co_return malformed_request(h, "API not served");
}

task<void> auto_create_topics(request_context& ctx, const std::vector<std::string>& names) {
  if (!ctx.broker->settings().auto_create_topics) co_return;
  auto snapshot = partition::shard_state::local().snapshot();
  std::vector<control::topic_spec> missing;
  for (const std::string& name : names) {
    if (snapshot->find_topic(name) == nullptr && control::valid_topic_name(name)) {
      // The broker's own defaults, as Kafka's auto-creation uses them.
      missing.push_back({.name = name,
                         .partitions = ctx.broker->settings().num_partitions,
                         .replication_factor = ctx.broker->settings().default_replication_factor});
    }
  }
  if (missing.empty()) co_return;
  auto outcomes = co_await ctx.broker->create_topics(std::move(missing), false);
  for (const auto& o : outcomes) {
    if (o.error == control::topic_errc::ok) {
      RILL_INFO("kafka", "auto-created topic %s for %s", o.name.c_str(), ctx.peer.c_str());
    } else if (o.error != control::topic_errc::already_exists) {
      RILL_WARN("kafka", "auto-creating topic %s failed: %s", o.name.c_str(), o.message.c_str());
    }
  }
}

}  // namespace rill::kafka
