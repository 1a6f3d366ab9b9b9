// The group membership APIs: FindCoordinator, JoinGroup, SyncGroup,
// Heartbeat, LeaveGroup, ListGroups, DescribeGroups and DeleteGroups. Each
// finds the group's offsets partition, checks that this broker leads it,
// and runs the operation on the shard that owns it (group_coordinator).
#include "base/assert.h"
#include "base/log.h"
#include "dataplane/group/group_coordinator.h"
#include "dataplane/kafka/handlers/coordinator_routing.h"
#include "dataplane/kafka/handlers/error_mapping.h"
#include "dataplane/kafka/handlers/handler.h"
#include "dataplane/kafka/messages/group.h"
#include "dataplane/node/shard_state.h"
#include "dataplane/transaction/transaction_coordinator.h"
#include "platform/runtime/cross_shard.h"

namespace rill::kafka {
namespace {

// Kafka's form of a client address in group descriptions: "/ip".
std::string client_host(const std::string& peer) {
  return "/" + peer.substr(0, peer.rfind(':'));
}

task<coordinator_answer> find_one(request_context& ctx, const std::string& key, int8_t key_type) {
  coordinator_answer a{.key = key};
  auto fail = [&](error_code e, const char* message) {
    a.error = static_cast<int16_t>(e);
    a.error_message = message;
    return a;
  };
  if (key_type != static_cast<int8_t>(coordinator_kind::group) &&
      key_type != static_cast<int8_t>(coordinator_kind::transaction)) {
    co_return fail(error_code::invalid_request, "unknown key type");
  }
  const auto kind = static_cast<coordinator_kind>(key_type);
  const char* topic_name = coordinator_topic(kind);
  if (key.empty()) co_return fail(error_code::invalid_request, "empty key");
  if (!co_await ensure_coordinator_topic(ctx, kind)) {
    co_return fail(error_code::coordinator_not_available,
                   "the coordinator's topic is not available");
  }
  control::snapshot_ptr s = partition::shard_state::local().snapshot();
  const control::topic_info* topic = s->find_topic(topic_name);
  if (topic == nullptr || topic->partitions.empty()) {
    co_return fail(error_code::coordinator_not_available,
                   "the coordinator's topic is not available");
  }
  auto partitions = static_cast<int32_t>(topic->partitions.size());
  int32_t p = kind == coordinator_kind::group ? group::offsets_partition_for(key, partitions)
                                              : transaction::txn_partition_for(key, partitions);
  RILL_ASSERT(p >= 0 && p < partitions, "%s placed on %s partition %d of %d", key.c_str(),
              topic_name, p, partitions);
  int32_t leader = topic->partitions[static_cast<size_t>(p)].leader;
  auto broker = s->brokers.find(leader);
  if (leader < 0 || broker == s->brokers.end() || !broker->second.alive) {
    co_return fail(error_code::coordinator_not_available, "the key's partition has no leader");
  }
  a.node_id = leader;
  a.host = broker->second.host;
  a.port = broker->second.port;
  RILL_ASSERT(a.error == 0 && a.node_id >= 0, "coordinator of %s answered as %d", key.c_str(),
              a.node_id);
  co_return a;
}

}  // namespace

task<handler_result> handle_find_coordinator(const request_header& h, wire_reader& in,
                                             request_context& ctx) {
  find_coordinator_request req;
  if (!decode_message(in, h, &req)) co_return malformed_request(h, "bad body");
  find_coordinator_response resp;
  if (h.version <= 3) {
    resp.single = co_await find_one(ctx, req.key, req.key_type);
  } else {
    for (const std::string& key : req.coordinator_keys) {
      resp.batched.push_back(co_await find_one(ctx, key, req.key_type));
    }
    RILL_ASSERT(resp.batched.size() == req.coordinator_keys.size(), "%zu coordinators for %zu keys",
                resp.batched.size(), req.coordinator_keys.size());
  }
  co_return respond(h, [&](response_buffer& out) { encode_message(out.writer(), h, resp); });
}

task<handler_result> handle_join_group(const request_header& h, wire_reader& in,
                                       request_context& ctx) {
  join_group_request req;
  if (!decode_message(in, h, &req)) co_return malformed_request(h, "bad body");
  join_group_response resp;
  resp.member_id = req.member_id;
  coordinator_route route = co_await route_group(ctx, req.group_id);
  if (route.error != error_code::none) {
    resp.error = static_cast<int16_t>(route.error);
  } else {
    group::join_request jr{
        .member_id = req.member_id,
        .instance_id = req.group_instance_id,
        .client_id = h.client_id.value_or(""),
        .client_host = client_host(ctx.peer),
        .session_timeout_ms = req.session_timeout_ms,
        .rebalance_timeout_ms = h.version >= 1 ? req.rebalance_timeout_ms : req.session_timeout_ms,
        .protocol_type = req.protocol_type,
        .member_id_required = h.version >= 4};
    for (group_protocol& p : req.protocols) {
      jr.protocols.push_back({std::move(p.name), std::move(p.metadata)});
    }
    group::join_answer a = co_await runtime::submit_to(
        route.owner, [p = route.partition, g = req.group_id, jr = std::move(jr)]() mutable {
          return group::group_coordinator::local().join(p, std::move(g), std::move(jr));
        });
    resp.error = code_of(a.error);
    resp.generation_id = a.generation;
    if (a.error == group::group_errc::ok) {
      resp.protocol_type = a.protocol_type;
      resp.protocol_name = a.protocol_name;
    }
    resp.leader = a.leader;
    if (!a.member_id.empty()) resp.member_id = a.member_id;
    for (group::joined_member& m : a.members) {
      resp.members.push_back({m.member_id, m.instance_id, std::move(m.metadata)});
    }
  }
  co_return respond(h, [&](response_buffer& out) { encode_message(out.writer(), h, resp); });
}

task<handler_result> handle_sync_group(const request_header& h, wire_reader& in,
                                       request_context& ctx) {
  sync_group_request req;
  if (!decode_message(in, h, &req)) co_return malformed_request(h, "bad body");
  sync_group_response resp;
  coordinator_route route = co_await route_group(ctx, req.group_id);
  if (route.error != error_code::none) {
    resp.error = static_cast<int16_t>(route.error);
  } else {
    group::sync_request sr{.member_id = req.member_id,
                           .instance_id = req.group_instance_id,
                           .generation = req.generation_id,
                           .protocol_type = req.protocol_type,
                           .protocol_name = req.protocol_name};
    for (sync_group_assignment& a : req.assignments) {
      sr.assignments.emplace_back(std::move(a.member_id), std::move(a.assignment));
    }
    group::sync_answer a = co_await runtime::submit_to(
        route.owner, [p = route.partition, g = req.group_id, sr = std::move(sr)]() mutable {
          return group::group_coordinator::local().sync(p, std::move(g), std::move(sr));
        });
    resp.error = code_of(a.error);
    if (a.error == group::group_errc::ok) {
      resp.protocol_type = a.protocol_type;
      resp.protocol_name = a.protocol_name;
      resp.assignment = std::move(a.assignment);
    }
  }
  co_return respond(h, [&](response_buffer& out) { encode_message(out.writer(), h, resp); });
}

task<handler_result> handle_heartbeat(const request_header& h, wire_reader& in,
                                      request_context& ctx) {
  heartbeat_request req;
  if (!decode_message(in, h, &req)) co_return malformed_request(h, "bad body");
  heartbeat_response resp;
  coordinator_route route = co_await route_group(ctx, req.group_id);
  if (route.error != error_code::none) {
    resp.error = static_cast<int16_t>(route.error);
  } else {
    group::group_errc e = co_await runtime::submit_to(
        route.owner, [p = route.partition, req = std::move(req)]() mutable {
          return group::group_coordinator::local().heartbeat(
              p, std::move(req.group_id), std::move(req.member_id),
              std::move(req.group_instance_id), req.generation_id);
        });
    resp.error = code_of(e);
  }
  co_return respond(h, [&](response_buffer& out) { encode_message(out.writer(), h, resp); });
}

task<handler_result> handle_leave_group(const request_header& h, wire_reader& in,
                                        request_context& ctx) {
  leave_group_request req;
  if (!decode_message(in, h, &req)) co_return malformed_request(h, "bad body");
  if (h.version <= 2) req.members = {{.member_id = req.member_id}};
  leave_group_response resp;
  coordinator_route route = co_await route_group(ctx, req.group_id);
  if (route.error != error_code::none) {
    resp.error = static_cast<int16_t>(route.error);
  } else {
    std::vector<std::pair<std::string, std::optional<std::string>>> leaving;
    for (const leaving_member& m : req.members) {
      leaving.emplace_back(m.member_id, m.group_instance_id);
      if (m.reason) {
        RILL_DEBUG("group", "member %s leaves group %s: %s", m.member_id.c_str(),
                   req.group_id.c_str(), m.reason->c_str());
      }
    }
    std::vector<group::group_errc> errors = co_await runtime::submit_to(
        route.owner, [p = route.partition, g = req.group_id, l = std::move(leaving)]() mutable {
          return group::group_coordinator::local().leave(p, std::move(g), std::move(l));
        });
    RILL_ASSERT(!errors.empty() && errors.size() <= req.members.size() + 1,
                "leave of %zu members answered with %zu errors", req.members.size(), errors.size());
    resp.error = code_of(errors[0]);
    for (size_t i = 0; i < req.members.size() && i + 1 < errors.size(); ++i) {
      leaving_member m = req.members[i];
      m.error = code_of(errors[i + 1]);
      resp.members.push_back(std::move(m));
    }
    // v0-2 carry one member: its error is the answer.
    if (h.version <= 2 && errors.size() > 1 && resp.error == 0) resp.error = resp.members[0].error;
  }
  co_return respond(h, [&](response_buffer& out) { encode_message(out.writer(), h, resp); });
}

task<handler_result> handle_list_groups(const request_header& h, wire_reader& in,
                                        request_context& ctx) {
  list_groups_request req;
  if (!decode_message(in, h, &req)) co_return malformed_request(h, "bad body");
  std::vector<group::group_state> wanted;
  for (const std::string& name : req.states_filter) {
    if (auto s = group::parse_group_state(name)) wanted.push_back(*s);
  }
  list_groups_response resp;
  uint32_t shards = partition::shard_state::local().shard().owner().shard_count();
  for (uint32_t i = 0; i < shards; ++i) {
    std::vector<group::group_summary> groups = co_await runtime::submit_to(
        runtime::shard_id(i), [] { return group::group_coordinator::local().list_groups(); });
    for (group::group_summary& g : groups) {
      bool shown = req.states_filter.empty() ||
                   std::find(wanted.begin(), wanted.end(), g.state) != wanted.end();
      if (shown) {
        resp.groups.push_back(
            {std::move(g.group_id), std::move(g.protocol_type), group::group_state_name(g.state)});
      }
    }
  }
  (void)ctx;
  co_return respond(h, [&](response_buffer& out) { encode_message(out.writer(), h, resp); });
}

task<handler_result> handle_describe_groups(const request_header& h, wire_reader& in,
                                            request_context& ctx) {
  describe_groups_request req;
  if (!decode_message(in, h, &req)) co_return malformed_request(h, "bad body");
  describe_groups_response resp;
  for (const std::string& id : req.groups) {
    described_group& d = resp.groups.emplace_back();
    d.group_id = id;
    coordinator_route route = co_await route_group(ctx, id);
    if (route.error != error_code::none) {
      d.error = static_cast<int16_t>(route.error);
      continue;
    }
    group::group_description g =
        co_await runtime::submit_to(route.owner, [p = route.partition, id]() mutable {
          return group::group_coordinator::local().describe(p, id);
        });
    d.error = code_of(g.error);
    d.group_state = group::group_state_name(g.state);
    d.protocol_type = g.protocol_type;
    d.protocol_data = g.protocol;
    for (group::member_description& m : g.members) {
      d.members.push_back({std::move(m.member_id), std::move(m.instance_id), std::move(m.client_id),
                           std::move(m.client_host), std::move(m.metadata),
                           std::move(m.assignment)});
    }
  }
  RILL_ASSERT(resp.groups.size() == req.groups.size(), "%zu descriptions for %zu groups",
              resp.groups.size(), req.groups.size());
  co_return respond(h, [&](response_buffer& out) { encode_message(out.writer(), h, resp); });
}

task<handler_result> handle_delete_groups(const request_header& h, wire_reader& in,
                                          request_context& ctx) {
  delete_groups_request req;
  if (!decode_message(in, h, &req)) co_return malformed_request(h, "bad body");
  delete_groups_response resp;
  for (const std::string& id : req.groups) {
    group_error& r = resp.results.emplace_back();
    r.group_id = id;
    coordinator_route route = co_await route_group(ctx, id);
    if (route.error != error_code::none) {
      r.error = static_cast<int16_t>(route.error);
      continue;
    }
    group::group_errc e =
        co_await runtime::submit_to(route.owner, [p = route.partition, id]() mutable {
          return group::group_coordinator::local().delete_group(p, id);
        });
    r.error = code_of(e);
  }
  RILL_ASSERT(resp.results.size() == req.groups.size(), "%zu results for %zu groups",
              resp.results.size(), req.groups.size());
  co_return respond(h, [&](response_buffer& out) { encode_message(out.writer(), h, resp); });
}

}  // namespace rill::kafka
