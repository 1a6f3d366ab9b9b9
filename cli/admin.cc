#include "cli/admin.h"

#include <arpa/inet.h>
#include <librdkafka/rdkafka.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "base/byte_order.h"
#include "base/command_line.h"
#include "base/host_port.h"
#include "base/wire.h"
#include "cli/kafka_admin.h"
#include "cli/kafka_call.h"
#include "dataplane/kafka/messages/admin.h"

namespace rill::cli {
namespace {

struct admin_options {
  std::string bootstrap = "127.0.0.1:9092";
  std::string topic;
  int partitions = -1;
  int replication_factor = -1;
  std::vector<std::pair<std::string, std::string>> configs;
  bool json = false;
  bool preferred = false;
  int partition = 0;
  int64_t offset = -1;
};

// The options every admin command shares; Kafka's tools spell the
// address --bootstrap-server, which works too.
void add_common(CLI::App& cmd, admin_options* o) {
  cmd.add_option("--bootstrap,--bootstrap-server", o->bootstrap, "a broker, HOST:PORT")
      ->capture_default_str();
}

CLI::Option* add_topic(CLI::App& cmd, admin_options* o) {
  return cmd.add_option("--topic", o->topic, "topic name");
}

CLI::Option* add_configs(CLI::App& cmd, admin_options* o, const char* help) {
  return cmd
      .add_option_function<std::vector<std::string>>(
          "--config",
          [o](const std::vector<std::string>& pairs) {
            for (const std::string& kv : pairs) {
              size_t eq = kv.find('=');
              if (eq == std::string::npos || eq == 0) {
                throw CLI::ValidationError("--config", "'" + kv + "' is not key=value");
              }
              o->configs.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
            }
          },
          help)
      ->type_name("KEY=VALUE");
}

client_ptr connect_admin(const admin_options& o) {
  return rill::cli::connect_admin(o.bootstrap);
}

// Waits for the admin result event and prints each topic's outcome.
int topic_results(rd_kafka_queue_t* q, const char* what) {
  rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 30000);
  if (ev == nullptr) {
    fprintf(stderr, "rill: %s timed out\n", what);
    return 1;
  }
  int rc = 0;
  if (rd_kafka_event_error(ev) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    fprintf(stderr, "rill: %s failed: %s\n", what, rd_kafka_event_error_string(ev));
    rc = 1;
  } else {
    size_t n = 0;
    const rd_kafka_topic_result_t** results = nullptr;
    if (rd_kafka_event_type(ev) == RD_KAFKA_EVENT_CREATETOPICS_RESULT) {
      results = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
    } else {
      results = rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(ev), &n);
    }
    for (size_t i = 0; i < n; ++i) {
      rd_kafka_resp_err_t e = rd_kafka_topic_result_error(results[i]);
      const char* msg = rd_kafka_topic_result_error_string(results[i]);
      if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
        printf("%s: %s\n", what, rd_kafka_topic_result_name(results[i]));
      } else {
        fprintf(stderr, "rill: %s %s: %s\n", what, rd_kafka_topic_result_name(results[i]),
                msg ? msg : rd_kafka_err2str(e));
        rc = 1;
      }
    }
  }
  rd_kafka_event_destroy(ev);
  return rc;
}

int create_topic(const admin_options& o) {
  client_ptr rk = connect_admin(o);
  char err[256];
  rd_kafka_NewTopic_t* nt =
      rd_kafka_NewTopic_new(o.topic.c_str(), o.partitions, o.replication_factor, err, sizeof(err));
  if (nt == nullptr) {
    fprintf(stderr, "rill: %s\n", err);
    return 2;
  }
  for (const auto& [k, v] : o.configs) rd_kafka_NewTopic_set_config(nt, k.c_str(), v.c_str());
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk.get());
  rd_kafka_CreateTopics(rk.get(), &nt, 1, nullptr, q);
  int rc = topic_results(q, "created");
  rd_kafka_NewTopic_destroy(nt);
  rd_kafka_queue_destroy(q);
  return rc;
}

int delete_topic(const admin_options& o) {
  client_ptr rk = connect_admin(o);
  rd_kafka_DeleteTopic_t* dt = rd_kafka_DeleteTopic_new(o.topic.c_str());
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk.get());
  rd_kafka_DeleteTopics(rk.get(), &dt, 1, nullptr, q);
  int rc = topic_results(q, "deleted");
  rd_kafka_DeleteTopic_destroy(dt);
  rd_kafka_queue_destroy(q);
  return rc;
}

// kafka-delete-records.sh for one partition: the log starts at --offset
// (-1: the high watermark) from now on.
int delete_records(const admin_options& o) {
  client_ptr rk = connect_admin(o);
  rd_kafka_topic_partition_list_t* offsets = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(offsets, o.topic.c_str(), o.partition)->offset = o.offset;
  rd_kafka_DeleteRecords_t* del = rd_kafka_DeleteRecords_new(offsets);
  rd_kafka_topic_partition_list_destroy(offsets);
  queue_ptr q = new_queue(rk.get());
  rd_kafka_DeleteRecords(rk.get(), &del, 1, nullptr, q.get());
  rd_kafka_DeleteRecords_destroy(del);
  event_ptr ev = wait_result(q.get(), "DeleteRecords");
  if (!ev) return 1;
  const rd_kafka_DeleteRecords_result_t* res = rd_kafka_event_DeleteRecords_result(ev.get());
  const rd_kafka_topic_partition_list_t* out = rd_kafka_DeleteRecords_result_offsets(res);
  int rc = 0;
  for (int i = 0; out != nullptr && i < out->cnt; ++i) {
    const rd_kafka_topic_partition_t& p = out->elems[i];
    if (p.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      fprintf(stderr, "%s-%d: %s\n", p.topic, p.partition, rd_kafka_err2str(p.err));
      rc = 1;
    } else if (o.json) {
      nlohmann::json row{
          {"topic", p.topic}, {"partition", p.partition}, {"low_watermark", p.offset}};
      printf("%s\n", row.dump().c_str());
    } else {
      printf("%s-%d: records before %lld deleted (low watermark)\n", p.topic, p.partition,
             static_cast<long long>(p.offset));
    }
  }
  return rc;
}

// The topic's overrides (configs not at their default), or nullopt after
// printing why they could not be read.
std::optional<std::map<std::string, std::string>> topic_overrides(rd_kafka_t* rk,
                                                                  const std::string& topic) {
  rd_kafka_ConfigResource_t* res =
      rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.c_str());
  queue_ptr q = new_queue(rk);
  rd_kafka_DescribeConfigs(rk, &res, 1, nullptr, q.get());
  rd_kafka_ConfigResource_destroy(res);
  event_ptr ev = wait_result(q.get(), "describe configs");
  if (!ev) return std::nullopt;
  size_t n = 0;
  const rd_kafka_ConfigResource_t** out = rd_kafka_DescribeConfigs_result_resources(
      rd_kafka_event_DescribeConfigs_result(ev.get()), &n);
  if (n != 1 || rd_kafka_ConfigResource_error(out[0]) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    fprintf(stderr, "rill: alter-config %s: %s\n", topic.c_str(),
            n == 1 ? rd_kafka_ConfigResource_error_string(out[0]) : "no answer");
    return std::nullopt;
  }
  std::map<std::string, std::string> overrides;
  size_t count = 0;
  const rd_kafka_ConfigEntry_t** entries = rd_kafka_ConfigResource_configs(out[0], &count);
  for (size_t i = 0; i < count; ++i) {
    if (rd_kafka_ConfigEntry_is_default(entries[i]) ||
        rd_kafka_ConfigEntry_value(entries[i]) == nullptr)
      continue;
    overrides[rd_kafka_ConfigEntry_name(entries[i])] = rd_kafka_ConfigEntry_value(entries[i]);
  }
  return overrides;
}

// kafka-configs.sh --alter --add-config: AlterConfigs replaces every
// override of a topic (librdkafka 2.0.2 has no IncrementalAlterConfigs), so
// the topic's current overrides are read first and sent along.
int alter_config(const admin_options& o) {
  client_ptr rk = connect_admin(o);
  std::optional<std::map<std::string, std::string>> configs = topic_overrides(rk.get(), o.topic);
  if (!configs) return 1;
  for (const auto& [k, v] : o.configs) (*configs)[k] = v;
  rd_kafka_ConfigResource_t* res =
      rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, o.topic.c_str());
  for (const auto& [k, v] : *configs) rd_kafka_ConfigResource_set_config(res, k.c_str(), v.c_str());
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk.get());
  rd_kafka_AlterConfigs(rk.get(), &res, 1, nullptr, q);
  rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 30000);
  int rc = 0;
  if (ev == nullptr) {
    fprintf(stderr, "rill: alter-config timed out\n");
    rc = 1;
  } else {
    size_t n = 0;
    const rd_kafka_ConfigResource_t** out =
        rd_kafka_AlterConfigs_result_resources(rd_kafka_event_AlterConfigs_result(ev), &n);
    for (size_t i = 0; i < n; ++i) {
      if (rd_kafka_ConfigResource_error(out[i]) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        fprintf(stderr, "rill: alter-config %s: %s\n", o.topic.c_str(),
                rd_kafka_ConfigResource_error_string(out[i]));
        rc = 1;
      } else {
        printf("altered: %s\n", o.topic.c_str());
      }
    }
    if (rd_kafka_event_error(ev) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      fprintf(stderr, "rill: alter-config: %s\n", rd_kafka_event_error_string(ev));
      rc = 1;
    }
    rd_kafka_event_destroy(ev);
  }
  rd_kafka_ConfigResource_destroy(res);
  rd_kafka_queue_destroy(q);
  return rc;
}

std::string join(const int32_t* v, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += (i ? "," : "") + std::to_string(v[i]);
  return out;
}

nlohmann::json json_ints(const int32_t* v, int n) {
  return nlohmann::json(std::vector<int32_t>(v, v + n));
}

int describe_topics(const admin_options& o) {
  client_ptr rk = connect_admin(o);
  const rd_kafka_metadata_t* md = fetch_metadata(rk.get(), o.topic);
  if (md == nullptr) return 1;
  nlohmann::json topics = nlohmann::json::array();
  for (int i = 0; i < md->topic_cnt; ++i) {
    const rd_kafka_metadata_topic_t& t = md->topics[i];
    if (t.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      fprintf(stderr, "rill: topic %s: %s\n", t.topic, rd_kafka_err2str(t.err));
      continue;
    }
    int rf = t.partition_cnt > 0 ? t.partitions[0].replica_cnt : 0;
    if (!o.json) {
      printf("Topic: %s\tPartitionCount: %d\tReplicationFactor: %d\n", t.topic, t.partition_cnt,
             rf);
    }
    nlohmann::json partitions = nlohmann::json::array();
    for (int p = 0; p < t.partition_cnt; ++p) {
      const rd_kafka_metadata_partition_t& part = t.partitions[p];
      if (o.json) {
        partitions.push_back({{"partition", part.id},
                              {"leader", part.leader},
                              {"replicas", json_ints(part.replicas, part.replica_cnt)},
                              {"isr", json_ints(part.isrs, part.isr_cnt)}});
      } else {
        printf("\tTopic: %s\tPartition: %d\tLeader: %d\tReplicas: %s\tIsr: %s\n", t.topic, part.id,
               part.leader, join(part.replicas, part.replica_cnt).c_str(),
               join(part.isrs, part.isr_cnt).c_str());
      }
    }
    if (o.json) topics.push_back({{"topic", t.topic}, {"partitions", partitions}});
  }
  if (o.json) printf("%s\n", nlohmann::json{{"topics", topics}}.dump().c_str());
  rd_kafka_metadata_destroy(md);
  return 0;
}

}  // namespace

int topics_main(const std::vector<std::string>& args) {
  admin_options o;
  CLI::App app("Creates, describes, deletes and reconfigures topics.", "rill topics");
  app.require_subcommand(1);
  CLI::App* create = app.add_subcommand("create", "create a topic");
  add_topic(*create, &o)->required();
  create->add_option("--partitions", o.partitions, "partitions (default: the broker's)")
      ->transform(integer_in(1, 1 << 20));
  create
      ->add_option("--replication-factor", o.replication_factor,
                   "replicas of each partition (default: the broker's)")
      ->transform(integer_in(1, 64));
  add_configs(*create, &o, "a topic config, repeatable");
  CLI::App* describe = app.add_subcommand("describe", "leader, replicas and ISR per partition");
  add_topic(*describe, &o);
  describe->add_flag("--json", o.json, "JSON output");
  CLI::App* remove = app.add_subcommand("delete", "delete a topic");
  add_topic(*remove, &o)->required();
  CLI::App* alter = app.add_subcommand("alter-config", "change topic configs");
  add_topic(*alter, &o)->required();
  add_configs(*alter, &o, "a topic config, repeatable")->required();
  CLI::App* records = app.add_subcommand(
      "delete-records", "delete a partition's records before an offset (kafka-delete-records.sh)");
  add_topic(*records, &o)->required();
  records->add_option("--partition", o.partition, "partition")->transform(integer_in(0, 1 << 20));
  records
      ->add_option("--offset", o.offset,
                   "the partition's new log start (-1: its high watermark, deleting everything)")
      ->required()
      ->transform(integer_in(-1, INT64_MAX));
  records->add_flag("--json", o.json, "JSON output");
  for (CLI::App* cmd : {create, describe, remove, alter, records}) add_common(*cmd, &o);
  if (auto code = parse_command_line(app, args)) return *code;
  if (create->parsed()) return create_topic(o);
  if (describe->parsed()) return describe_topics(o);
  if (remove->parsed()) return delete_topic(o);
  if (records->parsed()) return delete_records(o);
  return alter_config(o);
}

int cluster_main(const std::vector<std::string>& args) {
  admin_options o;
  CLI::App app("Describes the cluster.", "rill cluster");
  app.require_subcommand(1);
  CLI::App* describe =
      app.add_subcommand("describe", "brokers, under-replicated and offline partitions");
  add_common(*describe, &o);
  describe->add_flag("--json", o.json, "JSON output");
  if (auto code = parse_command_line(app, args)) return *code;
  client_ptr rk = connect_admin(o);
  const rd_kafka_metadata_t* md = fetch_metadata(rk.get(), "");
  if (md == nullptr) return 1;
  std::vector<std::string> under, offline;
  for (int i = 0; i < md->topic_cnt; ++i) {
    for (int p = 0; p < md->topics[i].partition_cnt; ++p) {
      const rd_kafka_metadata_partition_t& part = md->topics[i].partitions[p];
      std::string name = std::string(md->topics[i].topic) + "-" + std::to_string(part.id);
      if (part.leader < 0)
        offline.push_back(name);
      else if (part.isr_cnt < part.replica_cnt)
        under.push_back(name);
    }
  }
  if (o.json) {
    nlohmann::json brokers = nlohmann::json::array();
    for (int i = 0; i < md->broker_cnt; ++i) {
      brokers.push_back({{"id", md->brokers[i].id},
                         {"host", md->brokers[i].host},
                         {"port", md->brokers[i].port}});
    }
    nlohmann::json out{{"brokers", brokers},
                       {"topics", md->topic_cnt},
                       {"under_replicated", under},
                       {"offline", offline}};
    printf("%s\n", out.dump().c_str());
  } else {
    printf("Brokers (%d):\n", md->broker_cnt);
    for (int i = 0; i < md->broker_cnt; ++i) {
      printf("  %d\t%s:%d\n", md->brokers[i].id, md->brokers[i].host, md->brokers[i].port);
    }
    printf("Topics: %d\nUnder-replicated partitions (%zu):", md->topic_cnt, under.size());
    for (const std::string& s : under) printf(" %s", s.c_str());
    printf("\nOffline partitions (%zu):", offline.size());
    for (const std::string& s : offline) printf(" %s", s.c_str());
    printf("\n");
  }
  rd_kafka_metadata_destroy(md);
  return 0;
}

int elect_leaders_main(const std::vector<std::string>& args) {
  admin_options o;
  CLI::App app("Moves leadership back to the preferred replicas.", "rill elect-leaders");
  add_common(app, &o);
  app.add_flag("--preferred", o.preferred, "preferred election (the only kind served)")->required();
  if (auto code = parse_command_line(app, args)) return *code;
  // ElectLeaders v1: preferred, every partition.
  kafka::elect_leaders_request req{
      .election_type = 0, .partitions = std::nullopt, .timeout_ms = 30000};
  kafka::elect_leaders_response resp;
  std::string error;
  if (!kafka_call(o.bootstrap, kafka::api_key::elect_leaders, 1, req, &resp, &error)) {
    fprintf(stderr, "rill: %s\n", error.c_str());
    return 1;
  }
  if (resp.error != 0) {
    fprintf(stderr, "rill: preferred leader election failed (error %d)\n", resp.error);
    return 1;
  }
  printf("preferred leader election done\n");
  return 0;
}

}  // namespace rill::cli
