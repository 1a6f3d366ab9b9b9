// `rill reassign generate|execute|verify|cancel|list`: partition
// reassignment as kafka-reassign-partitions.sh does it, with its JSON plan
// format ({"version":1,"partitions":[{"topic","partition","replicas"}]}).
#include "cli/reassign.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "base/command_line.h"
#include "cli/kafka_admin.h"
#include "cli/kafka_call.h"
#include "dataplane/kafka/messages/reassignment.h"

namespace rill::cli {
namespace {

struct reassign_options {
  std::string bootstrap = "127.0.0.1:9092";
  std::string file;
  std::vector<std::string> topics;
  std::vector<int32_t> brokers;
  int32_t replication_factor = 0;  // 0: each partition's current one
  int32_t drain_broker = -1;
  bool json = false;
};

struct planned {
  std::string topic;
  int32_t partition = 0;
  std::vector<int32_t> replicas;
};
using plan = std::vector<planned>;

nlohmann::json plan_json(const plan& p) {
  nlohmann::json parts = nlohmann::json::array();
  for (const planned& x : p) {
    parts.push_back({{"topic", x.topic}, {"partition", x.partition}, {"replicas", x.replicas}});
  }
  return {{"version", 1}, {"partitions", parts}};
}

std::optional<plan> read_plan(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    fprintf(stderr, "rill reassign: cannot read %s\n", path.c_str());
    return std::nullopt;
  }
  try {
    nlohmann::json j = nlohmann::json::parse(in);
    plan out;
    for (const auto& x : j.at("partitions")) {
      out.push_back({x.at("topic").get<std::string>(), x.at("partition").get<int32_t>(),
                     x.at("replicas").get<std::vector<int32_t>>()});
    }
    return out;
  } catch (const nlohmann::json::exception& e) {
    fprintf(stderr, "rill reassign: %s is not a reassignment plan: %s\n", path.c_str(), e.what());
    return std::nullopt;
  }
}

// The cluster's current assignment of the given topics (all when empty),
// and its brokers.
bool current_assignment(const std::string& bootstrap, const std::vector<std::string>& topics,
                        plan* out, std::vector<int32_t>* brokers) {
  client_ptr rk = connect_admin(bootstrap);
  const rd_kafka_metadata_t* md = fetch_metadata(rk.get(), "");
  if (md == nullptr) return false;
  for (int i = 0; i < md->broker_cnt; ++i) brokers->push_back(md->brokers[i].id);
  std::sort(brokers->begin(), brokers->end());
  for (int t = 0; t < md->topic_cnt; ++t) {
    const rd_kafka_metadata_topic_t& topic = md->topics[t];
    bool wanted = topics.empty() ? topic.topic[0] != '_'
                                 : std::count(topics.begin(), topics.end(), topic.topic) > 0;
    if (!wanted) continue;
    for (int p = 0; p < topic.partition_cnt; ++p) {
      const rd_kafka_metadata_partition_t& part = topic.partitions[p];
      out->push_back({topic.topic, part.id,
                      std::vector<int32_t>(part.replicas, part.replicas + part.replica_cnt)});
    }
  }
  rd_kafka_metadata_destroy(md);
  std::sort(out->begin(), out->end(), [](const planned& a, const planned& b) {
    return std::tie(a.topic, a.partition) < std::tie(b.topic, b.partition);
  });
  return true;
}

// Replicas spread round-robin over the brokers, rotated per partition.
plan spread(const plan& current, const std::vector<int32_t>& brokers, int32_t rf) {
  plan out;
  for (const planned& c : current) {
    size_t n = rf > 0 ? static_cast<size_t>(rf) : c.replicas.size();
    planned p{c.topic, c.partition, {}};
    for (size_t i = 0; i < n; ++i) {
      p.replicas.push_back(brokers[(static_cast<size_t>(c.partition) + i) % brokers.size()]);
    }
    out.push_back(std::move(p));
  }
  return out;
}

// Every replica on `broker` moves to the least loaded other broker that
// does not hold the partition yet, keeping its place in the list.
std::optional<plan> drain(const plan& current, const std::vector<int32_t>& brokers,
                          int32_t broker) {
  std::map<int32_t, int> load;
  for (int32_t b : brokers) {
    if (b != broker) load[b] = 0;
  }
  for (const planned& c : current) {
    for (int32_t r : c.replicas) {
      if (load.count(r)) ++load[r];
    }
  }
  plan out;
  for (const planned& c : current) {
    if (std::count(c.replicas.begin(), c.replicas.end(), broker) == 0) continue;
    planned p = c;
    for (int32_t& r : p.replicas) {
      if (r != broker) continue;
      int32_t best = -1;
      for (const auto& [b, n] : load) {
        bool taken = std::count(p.replicas.begin(), p.replicas.end(), b) > 0;
        if (!taken && (best < 0 || n < load[best])) best = b;
      }
      if (best < 0) {
        fprintf(stderr, "rill reassign: %s-%d has no broker left to move to\n", c.topic.c_str(),
                c.partition);
        return std::nullopt;
      }
      r = best;
      ++load[best];
    }
    out.push_back(std::move(p));
  }
  return out;
}

int generate(const reassign_options& o) {
  plan current;
  std::vector<int32_t> live;
  if (!current_assignment(o.bootstrap, o.topics, &current, &live)) return 1;
  std::optional<plan> proposed;
  if (o.drain_broker >= 0) {
    proposed = drain(current, live, o.drain_broker);
  } else {
    std::vector<int32_t> brokers = o.brokers.empty() ? live : o.brokers;
    if (o.replication_factor > static_cast<int32_t>(brokers.size())) {
      fprintf(stderr, "rill reassign: --replication-factor %d exceeds the %zu brokers\n",
              o.replication_factor, brokers.size());
      return 2;
    }
    proposed = spread(current, brokers, o.replication_factor);
  }
  if (!proposed) return 1;
  if (o.json) {
    printf("%s\n", plan_json(*proposed).dump().c_str());
    return 0;
  }
  printf("Current partition replica assignment\n%s\n\n", plan_json(current).dump().c_str());
  printf("Proposed partition reassignment configuration\n%s\n",
         plan_json(*proposed).dump().c_str());
  return 0;
}

// Sends the plan (or, to cancel, nulls) and prints each partition's answer.
int alter(const reassign_options& o, bool cancel) {
  std::optional<plan> p = read_plan(o.file);
  if (!p) return 1;
  kafka::alter_partition_reassignments_request req;
  for (const planned& x : *p) {
    if (req.topics.empty() || req.topics.back().name != x.topic)
      req.topics.push_back({x.topic, {}});
    req.topics.back().partitions.push_back(
        {x.partition, cancel ? std::nullopt : std::optional(x.replicas)});
  }
  kafka::alter_partition_reassignments_response resp;
  std::string error;
  if (!kafka_call(o.bootstrap, kafka::api_key::alter_partition_reassignments, 0, req, &resp,
                  &error)) {
    fprintf(stderr, "rill reassign: %s\n", error.c_str());
    return 1;
  }
  int rc = 0;
  for (const auto& t : resp.topics) {
    for (const auto& r : t.partitions) {
      if (r.error != 0) {
        fprintf(stderr, "%s-%d: error %d: %s\n", t.name.c_str(), r.partition, r.error,
                r.error_message.value_or("").c_str());
        rc = 1;
      } else {
        printf("%s-%d: %s\n", t.name.c_str(), r.partition,
               cancel ? "reassignment cancelled" : "reassignment started");
      }
    }
  }
  return rc;
}

std::optional<kafka::list_partition_reassignments_response> ongoing(
    const reassign_options& o, std::optional<std::vector<kafka::list_reassignments_topic>> topics) {
  kafka::list_partition_reassignments_request req{.topics = std::move(topics)};
  kafka::list_partition_reassignments_response resp;
  std::string error;
  if (!kafka_call(o.bootstrap, kafka::api_key::list_partition_reassignments, 0, req, &resp,
                  &error)) {
    fprintf(stderr, "rill reassign: %s\n", error.c_str());
    return std::nullopt;
  }
  return resp;
}

std::string join(const std::vector<int32_t>& v) {
  std::string out;
  for (int32_t x : v) out += (out.empty() ? "" : ",") + std::to_string(x);
  return out;
}

int list(const reassign_options& o) {
  auto resp = ongoing(o, std::nullopt);
  if (!resp) return 1;
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& t : resp->topics) {
    for (const auto& p : t.partitions) {
      if (o.json) {
        rows.push_back({{"topic", t.name},
                        {"partition", p.partition},
                        {"replicas", p.replicas},
                        {"adding", p.adding_replicas},
                        {"removing", p.removing_replicas}});
      } else {
        printf("%s-%d: replicas %s, adding %s, removing %s\n", t.name.c_str(), p.partition,
               join(p.replicas).c_str(), join(p.adding_replicas).c_str(),
               join(p.removing_replicas).c_str());
      }
    }
  }
  if (o.json) printf("%s\n", rows.dump().c_str());
  if (!o.json && rows.empty() && resp->topics.empty()) printf("no reassignment in progress\n");
  return 0;
}

// 0 when every partition of the plan is on its planned replicas, 1 while
// any is in progress or differs.
int verify(const reassign_options& o) {
  std::optional<plan> p = read_plan(o.file);
  if (!p) return 1;
  std::vector<kafka::list_reassignments_topic> topics;
  std::vector<std::string> names;
  for (const planned& x : *p) {
    if (topics.empty() || topics.back().name != x.topic) {
      topics.push_back({x.topic, {}});
      names.push_back(x.topic);
    }
    topics.back().partitions.push_back(x.partition);
  }
  auto resp = ongoing(o, topics);
  plan current;
  std::vector<int32_t> brokers;
  if (!resp || !current_assignment(o.bootstrap, names, &current, &brokers)) return 1;
  std::set<std::pair<std::string, int32_t>> in_progress;
  for (const auto& t : resp->topics) {
    for (const auto& q : t.partitions) in_progress.insert({t.name, q.partition});
  }
  int rc = 0;
  for (const planned& x : *p) {
    auto now = std::find_if(current.begin(), current.end(), [&](const planned& c) {
      return c.topic == x.topic && c.partition == x.partition;
    });
    if (in_progress.count({x.topic, x.partition})) {
      printf("%s-%d: in progress\n", x.topic.c_str(), x.partition);
      rc = 1;
    } else if (now == current.end() || now->replicas != x.replicas) {
      printf("%s-%d: not as planned (replicas %s)\n", x.topic.c_str(), x.partition,
             now == current.end() ? "unknown" : join(now->replicas).c_str());
      rc = 1;
    } else {
      printf("%s-%d: complete\n", x.topic.c_str(), x.partition);
    }
  }
  return rc;
}

}  // namespace

int reassign_main(const std::vector<std::string>& args) {
  reassign_options o;
  CLI::App app(
      "Moves partitions between brokers, changes replication factors and drains brokers "
      "(kafka-reassign-partitions.sh). Plans are Kafka's JSON: "
      "{\"version\":1,\"partitions\":[{\"topic\":T,\"partition\":P,\"replicas\":[...]}]}.",
      "rill reassign");
  app.require_subcommand(1);
  CLI::App* gen = app.add_subcommand("generate", "propose a plan (printed; nothing changes)");
  CLI::App* exec = app.add_subcommand("execute", "start the plan's reassignments");
  CLI::App* ver = app.add_subcommand("verify", "complete, in progress or not as planned");
  CLI::App* cancel = app.add_subcommand("cancel", "cancel the plan's reassignments in progress");
  CLI::App* lst = app.add_subcommand("list", "reassignments in progress");
  for (CLI::App* c : {gen, exec, ver, cancel, lst}) {
    c->add_option("--bootstrap,--bootstrap-server", o.bootstrap, "a broker, HOST:PORT")
        ->capture_default_str();
  }
  for (CLI::App* c : {exec, ver, cancel}) {
    c->add_option("--file,--reassignment-json-file", o.file, "the plan")->required();
  }
  gen->add_option("--topics", o.topics, "topics to move (default: every topic)")->delimiter(',');
  gen->add_option("--brokers,--broker-list", o.brokers, "brokers to spread them over")
      ->delimiter(',');
  gen->add_option("--replication-factor", o.replication_factor, "new replication factor")
      ->transform(integer_in(1, 16));
  gen->add_option("--drain-broker", o.drain_broker, "move every replica off this broker")
      ->transform(integer_in(0, 1 << 20));
  gen->add_flag("--json", o.json, "only the proposed plan, as JSON");
  lst->add_flag("--json", o.json, "JSON output");
  if (auto code = parse_command_line(app, args)) return *code;
  if (gen->parsed()) return generate(o);
  if (exec->parsed()) return alter(o, false);
  if (cancel->parsed()) return alter(o, true);
  if (ver->parsed()) return verify(o);
  return list(o);
}

}  // namespace rill::cli
