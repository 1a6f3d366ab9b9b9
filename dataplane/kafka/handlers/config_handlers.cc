// IncrementalAlterConfigs (KIP-339): SET, DELETE, APPEND and SUBTRACT on
// single topic configs, leaving the topic's other overrides alone (where
// AlterConfigs replaces them all).
#include <algorithm>
#include <set>
#include <sstream>

#include "base/assert.h"
#include "control/topic_config.h"
#include "dataplane/kafka/handlers/error_mapping.h"
#include "dataplane/kafka/handlers/handler.h"
#include "dataplane/kafka/messages/admin.h"
#include "dataplane/kafka/messages/configs.h"
#include "dataplane/node/shard_state.h"

namespace rill::kafka {
namespace {

// Configs whose value is a comma-separated list (APPEND and SUBTRACT
// apply to them only).
bool is_list_config(const std::string& key) {
  return key == "cleanup.policy";
}

std::vector<std::string> split_list(const std::string& value) {
  std::vector<std::string> out;
  std::stringstream ss(value);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

std::string join_list(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& i : items) out += (out.empty() ? "" : ",") + i;
  RILL_ASSERT(split_list(out) == items, "list config items with commas in them");
  return out;
}

// The change one resource asks for, or an error and its message.
struct planned_change {
  control::topic_config_change change;
  error_code error = error_code::none;
  std::string message;
};

planned_change plan(const control::topic_info& topic, const incremental_resource& res) {
  planned_change out;
  std::set<std::string> seen;
  auto fail = [&](error_code e, std::string message) {
    out.error = e;
    out.message = std::move(message);
    return out;
  };
  for (const incremental_config& c : res.configs) {
    if (!seen.insert(c.name).second) {
      return fail(error_code::invalid_request, "config " + c.name + " appears twice");
    }
    auto op = static_cast<config_operation>(c.operation);
    if (op == config_operation::remove) {
      out.change.removed.push_back(c.name);
      continue;
    }
    if (c.operation < 0 || c.operation > 3) {
      return fail(error_code::invalid_request,
                  "unknown config operation " + std::to_string(c.operation) + " for " + c.name);
    }
    if (!c.value) return fail(error_code::invalid_config, c.name + ": a null value");
    std::string value = *c.value;
    if (op == config_operation::append || op == config_operation::subtract) {
      if (!is_list_config(c.name)) {
        return fail(error_code::invalid_config, c.name + " is not a list config");
      }
      auto current = topic.configs.find(c.name);
      const auto& defaults = control::topic_config_defaults();
      auto fallback = defaults.find(c.name);
      std::vector<std::string> items =
          split_list(current != topic.configs.end()
                         ? current->second
                         : (fallback != defaults.end() ? fallback->second : std::string()));
      for (const std::string& v : split_list(value)) {
        auto at = std::find(items.begin(), items.end(), v);
        if (op == config_operation::append && at == items.end()) items.push_back(v);
        if (op == config_operation::subtract && at != items.end()) items.erase(at);
      }
      value = join_list(items);
    }
    if (auto problem = control::validate_topic_config(c.name, value)) {
      return fail(error_code::invalid_config, *problem);
    }
    out.change.set.emplace_back(c.name, value);
  }
  RILL_ASSERT(out.change.set.size() + out.change.removed.size() == res.configs.size(),
              "%s: %zu changes planned for %zu configs", res.name.c_str(),
              out.change.set.size() + out.change.removed.size(), res.configs.size());
  RILL_ASSERT(out.change.mode == control::config_alter_mode::merge,
              "IncrementalAlterConfigs never replaces a topic's other overrides");
  return out;
}

}  // namespace

task<handler_result> handle_incremental_alter_configs(const request_header& h, wire_reader& in,
                                                      request_context& ctx) {
  incremental_alter_configs_request req;
  if (!decode_message(in, h, &req)) co_return malformed_request(h, "bad body");
  control::snapshot_ptr s = partition::shard_state::local().snapshot();
  incremental_alter_configs_response resp;
  for (const incremental_resource& res : req.resources) {
    incremental_alter_result& r = resp.responses.emplace_back();
    r.type = res.type;
    r.name = res.name;
    const control::topic_info* topic = s->find_topic(res.name);
    planned_change p;
    if (res.type != k_resource_topic) {
      p.error = error_code::invalid_request;
      p.message = "only topic configs can be altered; broker settings are static";
    } else if (topic == nullptr) {
      p.error = error_code::unknown_topic_or_partition;
      p.message = "unknown topic " + res.name;
    } else {
      p = plan(*topic, res);
    }
    if (p.error == error_code::none && !req.validate_only) {
      control::topic_outcome o = co_await ctx.broker->alter_topic_config(res.name, p.change);
      p.error = to_kafka(o.error);
      p.message = o.message;
    }
    r.error = static_cast<int16_t>(p.error);
    if (p.error != error_code::none) r.error_message = p.message;
  }
  co_return respond(h, [&](response_buffer& out) { encode_message(out.writer(), h, resp); });
}

}  // namespace rill::kafka
