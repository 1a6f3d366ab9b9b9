// ListOffsets, CreateTopics, DeleteTopics, DescribeConfigs.
#include <algorithm>

#include "base/assert.h"
#include "base/log.h"
#include "control/topic_config.h"
#include "dataplane/kafka/handlers/error_mapping.h"
#include "dataplane/kafka/handlers/handler.h"
#include "dataplane/kafka/messages/admin.h"
#include "dataplane/kafka/messages/list_offsets.h"
#include "dataplane/node/shard_state.h"
#include "platform/runtime/cross_shard.h"

namespace rill::kafka {
namespace {

task<partition::offset_lookup> list_offset_here(std::string topic, int32_t index, int64_t ts,
                                                int32_t epoch, bool read_committed) {
  auto& local = partition::shard_state::local();
  RILL_ASSERT(local.owner_of(topic, index) == local.shard().id(),
              "%s-%d listed on shard %u, not its owner", topic.c_str(), index,
              local.shard().id().value());
  auto r = local.find_shared(topic, index);
  if (r == nullptr) co_return partition::offset_lookup{partition::partition_errc::not_leader};
  co_return co_await r->list_offset(ts, ids::leader_epoch{epoch}, read_committed);
}

}  // namespace

task<handler_result> handle_list_offsets(const request_header& h, wire_reader& in,
                                         request_context& ctx) {
  list_offsets_request req;
  if (!decode_message(in, h, &req)) co_return malformed_request(h, "bad body");
  auto& local = partition::shard_state::local();
  control::snapshot_ptr s = local.snapshot();
  list_offsets_response response;
  std::vector<list_offsets_topic_response>& resp = response.topics;
  for (const list_offsets_topic& t : req.topics) {
    list_offsets_topic_response& tr = resp.emplace_back();
    tr.name = t.name;
    for (const list_offsets_partition& p : t.partitions) {
      list_offsets_partition_response& pr = tr.partitions.emplace_back();
      pr.index = p.index;
      const control::partition_info* info = s->find_partition(t.name, p.index);
      if (info == nullptr) {
        pr.error = error_code::unknown_topic_or_partition;
        continue;
      }
      std::string topic = t.name;
      int32_t index = p.index;
      int64_t ts = p.timestamp;
      int32_t epoch = p.current_leader_epoch;
      bool committed = req.isolation_level == 1;  // READ_COMMITTED: latest is the stable offset
      auto o = co_await runtime::submit_to(
          local.owner_of(t.name, p.index), [topic, index, ts, epoch, committed] {
            return list_offset_here(topic, index, ts, epoch, committed);
          });
      pr.error = to_kafka(o.error);
      pr.offset = o.offset;
      pr.timestamp = o.timestamp;
      pr.leader_epoch = o.leader_epoch;
      RILL_ASSERT(o.error != partition::partition_errc::ok || o.offset >= -1,
                  "%s-%d: listed offset %lld", t.name.c_str(), p.index,
                  static_cast<long long>(o.offset));
    }
    RILL_ASSERT(tr.partitions.size() == t.partitions.size(), "%s: %zu answers for %zu partitions",
                t.name.c_str(), tr.partitions.size(), t.partitions.size());
  }
  co_return respond(h, [&](response_buffer& out) { encode_message(out, h, response); });
}

task<handler_result> handle_create_topics(const request_header& h, wire_reader& in,
                                          request_context& ctx) {
  create_topics_request req;
  if (!decode_message(in, h, &req)) co_return malformed_request(h, "bad body");
  std::vector<control::topic_spec> specs;
  create_topics_response response;
  std::vector<topic_result>& results = response.topics;
  for (const create_topic_spec& t : req.topics) {
    control::topic_spec spec{
        .name = t.name, .partitions = t.partitions, .replication_factor = t.replication_factor};
    // Manual placement: Kafka names each partition; they must be 0..n-1.
    std::vector<std::pair<int32_t, std::vector<int32_t>>> named = t.assignments;
    std::sort(named.begin(), named.end());
    bool consecutive = true;
    for (size_t i = 0; i < named.size(); ++i) {
      consecutive = consecutive && named[i].first == static_cast<int32_t>(i);
      spec.assignments.push_back(named[i].second);
    }
    if (!consecutive) {
      results.push_back({t.name, error_code::invalid_replica_assignment,
                         "the assigned partitions must be 0 to n-1, each once"});
      continue;
    }
    for (const auto& [k, v] : t.configs) {
      if (v) spec.configs.emplace_back(k, *v);
    }
    RILL_ASSERT(spec.assignments.size() == t.assignments.size(), "%s: %zu placements kept of %zu",
                t.name.c_str(), spec.assignments.size(), t.assignments.size());
    specs.push_back(std::move(spec));
  }
  auto outcomes = co_await ctx.broker->create_topics(std::move(specs), req.validate_only);
  for (const auto& o : outcomes) {
    results.push_back({o.name, to_kafka(o.error),
                       o.message.empty() ? std::nullopt : std::optional<std::string>(o.message)});
    if (o.error == control::topic_errc::ok && !req.validate_only) {
      RILL_INFO("kafka", "created topic %s (request from %s)", o.name.c_str(), ctx.peer.c_str());
    }
  }
  co_return respond(h, [&](response_buffer& out) { encode_message(out, h, response); });
}

task<handler_result> handle_delete_topics(const request_header& h, wire_reader& in,
                                          request_context& ctx) {
  delete_topics_request req;
  if (!decode_delete_topics_request(in, h, &req)) co_return malformed_request(h, "bad body");
  auto outcomes = co_await ctx.broker->delete_topics(req.names);
  std::vector<topic_result> results;
  results.reserve(outcomes.size());
  for (const auto& o : outcomes) results.push_back({o.name, to_kafka(o.error), std::nullopt});
  co_return respond(
      h, [&](response_buffer& out) { encode_delete_topics_response(out.writer(), h, results); });
}

namespace {

// A config the topic does not set shows what this broker runs with: its
// own setting where one stands behind the key, else Kafka's default.
describe_configs_result describe_topic_configs(const control::cluster_snapshot& s,
                                               const partition::broker_settings& broker,
                                               const describe_configs_resource& res) {
  describe_configs_result out{error_code::none, std::nullopt, res.type, res.name, {}};
  const control::topic_info* t = s.find_topic(res.name);
  if (t == nullptr) {
    out.error = error_code::unknown_topic_or_partition;
    out.message = "unknown topic " + res.name;
    return out;
  }
  for (const auto& [key, fallback] : control::topic_config_defaults()) {
    if (res.keys && std::find(res.keys->begin(), res.keys->end(), key) == res.keys->end()) continue;
    auto it = t->configs.find(key);
    bool is_default = it == t->configs.end();
    std::string value =
        is_default ? partition::broker_topic_default(broker, key).value_or(fallback) : it->second;
    out.configs.push_back({key, std::move(value), false, is_default});
  }
  return out;
}

// Where the value shown comes from: a topic's own setting, the broker's
// static settings, or the default.
int8_t source_of(const config_entry& c, int8_t resource_type) {
  if (c.is_default) return k_config_source_default;
  return resource_type == k_resource_topic ? k_config_source_dynamic_topic
                                           : k_config_source_static_broker;
}

}  // namespace

task<handler_result> handle_describe_configs(const request_header& h, wire_reader& in,
                                             request_context& ctx) {
  describe_configs_request req;
  if (!decode_message(in, h, &req)) co_return malformed_request(h, "bad body");
  control::snapshot_ptr s = partition::shard_state::local().snapshot();
  const partition::broker_settings& b = ctx.broker->settings();
  describe_configs_response response;
  std::vector<describe_configs_result>& results = response.results;
  for (const describe_configs_resource& res : req.resources) {
    if (res.type == k_resource_topic) {
      results.push_back(describe_topic_configs(*s, b, res));
    } else if (res.type == k_resource_broker) {
      describe_configs_result out{error_code::none, std::nullopt, res.type, res.name, {}};
      out.configs = {
          {"broker.id", std::to_string(b.broker_id), true, false},
          {"num.partitions", std::to_string(b.num_partitions), true, false},
          {"default.replication.factor", std::to_string(b.default_replication_factor), true, false},
          {"auto.create.topics.enable", b.auto_create_topics ? "true" : "false", true, false},
          {"min.insync.replicas", std::to_string(b.min_insync_replicas), true, false},
          {"message.max.bytes", std::to_string(b.message_bytes_max), true, false}};
      results.push_back(std::move(out));
    } else {
      results.push_back(
          {error_code::invalid_request, "unsupported resource type", res.type, res.name, {}});
    }
  }
  for (describe_configs_result& r : results) {
    for (config_entry& c : r.configs) c.source = source_of(c, r.type);
  }
  co_return respond(h, [&](response_buffer& out) { encode_message(out, h, response); });
}

task<handler_result> handle_alter_configs(const request_header& h, wire_reader& in,
                                          request_context& ctx) {
  alter_configs_request req;
  if (!decode_alter_configs_request(in, h, &req)) co_return malformed_request(h, "bad body");
  std::vector<alter_configs_result> results;
  for (const auto& res : req.resources) {
    alter_configs_result out{error_code::none, std::nullopt, res.type, res.name};
    if (res.type != k_resource_topic) {
      out.error = error_code::invalid_request;
      out.message = "only topic configs can be altered; broker settings are static";
    } else if (partition::shard_state::local().snapshot()->find_topic(res.name) == nullptr) {
      // The topic first, as Kafka (2.7+) checks it: its configs are moot.
      out.error = error_code::unknown_topic_or_partition;
      out.message = "unknown topic " + res.name;
    } else {
      // AlterConfigs replaces every override of the topic (Kafka's
      // semantics): what the request leaves out returns to the default.
      control::topic_config_change change{.mode = control::config_alter_mode::replace};
      for (const auto& [k, v] : res.configs) {
        if (v) change.set.emplace_back(k, *v);
      }
      bool valid = true;
      for (const auto& [k, v] : change.set) {
        if (auto problem = control::validate_topic_config(k, v)) {
          out.error = error_code::invalid_config;
          out.message = *problem;
          valid = false;
          break;
        }
      }
      if (valid && !req.validate_only) {
        control::topic_outcome o =
            co_await ctx.broker->alter_topic_config(res.name, std::move(change));
        out.error = to_kafka(o.error);
        if (!o.message.empty()) out.message = o.message;
      }
    }
    results.push_back(std::move(out));
  }
  co_return respond(
      h, [&](response_buffer& out) { encode_alter_configs_response(out.writer(), h, results); });
}

task<handler_result> handle_elect_leaders(const request_header& h, wire_reader& in,
                                          request_context& ctx) {
  elect_leaders_request req;
  if (!decode_elect_leaders_request(in, h, &req)) co_return malformed_request(h, "bad body");
  std::vector<elect_leaders_result> results;
  if (req.election_type != 0) {
    co_return respond(h, [&](response_buffer& out) {
      encode_elect_leaders_response(out.writer(), h, error_code::invalid_request, results);
    });
  }
  int32_t moved = co_await ctx.broker->elect_preferred();
  error_code each = moved < 0 ? error_code::request_timed_out : error_code::none;
  RILL_INFO("kafka", "preferred leader election requested by %s: %d leaderships moved",
            ctx.peer.c_str(), moved);
  control::snapshot_ptr s = partition::shard_state::local().snapshot();
  if (req.partitions) {
    for (const auto& [topic, parts] : *req.partitions) {
      elect_leaders_result& t = results.emplace_back();
      t.topic = topic;
      for (int32_t p : parts) {
        t.partitions.emplace_back(
            p, s->find_partition(topic, p) ? each : error_code::unknown_topic_or_partition);
      }
      RILL_ASSERT(t.partitions.size() == parts.size(), "%s: %zu answers for %zu partitions",
                  topic.c_str(), t.partitions.size(), parts.size());
    }
  }
  co_return respond(h, [&](response_buffer& out) {
    encode_elect_leaders_response(out.writer(), h, error_code::none, results);
  });
}

}  // namespace rill::kafka
