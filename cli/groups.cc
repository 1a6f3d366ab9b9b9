// `rill groups list|describe|delete|reset-offsets`, after Kafka's
// kafka-consumer-groups.sh, over librdkafka's group admin calls. JSON
// output through nlohmann::json.
#include "cli/groups.h"

#include <librdkafka/rdkafka.h>

#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "base/command_line.h"
#include "cli/kafka_admin.h"

namespace rill::cli {
namespace {

struct group_options {
  std::string bootstrap = "127.0.0.1:9092";
  std::string group;
  std::string topic;
  bool json = false;
  bool to_earliest = false;
  bool to_latest = false;
  std::optional<int64_t> to_offset;
  bool execute = false;
};

using partition_list =
    std::unique_ptr<rd_kafka_topic_partition_list_t, void (*)(rd_kafka_topic_partition_list_t*)>;

struct member_row {
  std::string consumer_id;
  std::string host;
  std::string client_id;
};

// One group as `describe` shows it.
struct group_view {
  std::string state;
  std::map<std::pair<std::string, int32_t>, member_row> owners;
  std::map<std::pair<std::string, int32_t>, int64_t> committed;
};

std::optional<group_view> describe_group(rd_kafka_t* rk, const std::string& group) {
  group_view view;
  queue_ptr q = new_queue(rk);
  const char* groups[] = {group.c_str()};
  rd_kafka_DescribeConsumerGroups(rk, groups, 1, nullptr, q.get());
  event_ptr ev = wait_result(q.get(), "describing the group");
  if (ev == nullptr) return std::nullopt;
  size_t n = 0;
  const rd_kafka_ConsumerGroupDescription_t** descs = rd_kafka_DescribeConsumerGroups_result_groups(
      rd_kafka_event_DescribeConsumerGroups_result(ev.get()), &n);
  if (n != 1) return std::nullopt;
  if (const rd_kafka_error_t* e = rd_kafka_ConsumerGroupDescription_error(descs[0])) {
    fprintf(stderr, "rill: group %s: %s\n", group.c_str(), rd_kafka_error_string(e));
    return std::nullopt;
  }
  view.state =
      rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupDescription_state(descs[0]));
  for (size_t i = 0; i < rd_kafka_ConsumerGroupDescription_member_count(descs[0]); ++i) {
    const rd_kafka_MemberDescription_t* m = rd_kafka_ConsumerGroupDescription_member(descs[0], i);
    const rd_kafka_topic_partition_list_t* parts =
        rd_kafka_MemberAssignment_partitions(rd_kafka_MemberDescription_assignment(m));
    for (int p = 0; parts != nullptr && p < parts->cnt; ++p) {
      view.owners[{parts->elems[p].topic, parts->elems[p].partition}] = {
          rd_kafka_MemberDescription_consumer_id(m), rd_kafka_MemberDescription_host(m),
          rd_kafka_MemberDescription_client_id(m)};
    }
  }
  rd_kafka_ListConsumerGroupOffsets_t* request =
      rd_kafka_ListConsumerGroupOffsets_new(group.c_str(), nullptr);
  rd_kafka_ListConsumerGroupOffsets(rk, &request, 1, nullptr, q.get());
  rd_kafka_ListConsumerGroupOffsets_destroy(request);
  event_ptr offsets = wait_result(q.get(), "fetching the group's offsets");
  if (offsets == nullptr) return std::nullopt;
  const rd_kafka_group_result_t** results = rd_kafka_ListConsumerGroupOffsets_result_groups(
      rd_kafka_event_ListConsumerGroupOffsets_result(offsets.get()), &n);
  for (size_t g = 0; g < n; ++g) {
    const rd_kafka_topic_partition_list_t* parts = rd_kafka_group_result_partitions(results[g]);
    for (int p = 0; parts != nullptr && p < parts->cnt; ++p) {
      if (parts->elems[p].offset >= 0) {
        view.committed[{parts->elems[p].topic, parts->elems[p].partition}] = parts->elems[p].offset;
      }
    }
  }
  return view;
}

int list_groups(const group_options& o) {
  client_ptr rk = connect_admin(o.bootstrap);
  queue_ptr q = new_queue(rk.get());
  rd_kafka_ListConsumerGroups(rk.get(), nullptr, q.get());
  event_ptr ev = wait_result(q.get(), "listing groups");
  if (ev == nullptr) return 1;
  const rd_kafka_ListConsumerGroups_result_t* r =
      rd_kafka_event_ListConsumerGroups_result(ev.get());
  size_t n = 0;
  const rd_kafka_ConsumerGroupListing_t** groups = rd_kafka_ListConsumerGroups_result_valid(r, &n);
  nlohmann::json out = nlohmann::json::array();
  for (size_t i = 0; i < n; ++i) {
    std::string id = rd_kafka_ConsumerGroupListing_group_id(groups[i]);
    std::string state =
        rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupListing_state(groups[i]));
    if (o.json) {
      out.push_back({{"group", id}, {"state", state}});
    } else {
      printf("%-40s %s\n", id.c_str(), state.c_str());
    }
  }
  size_t errors = 0;
  rd_kafka_ListConsumerGroups_result_errors(r, &errors);
  if (o.json) printf("%s\n", nlohmann::json{{"groups", out}}.dump().c_str());
  if (errors > 0) fprintf(stderr, "rill: %zu brokers did not answer\n", errors);
  return errors > 0 ? 1 : 0;
}

int describe(const group_options& o) {
  client_ptr rk = connect_admin(o.bootstrap);
  std::optional<group_view> view = describe_group(rk.get(), o.group);
  if (!view) return 1;
  std::map<std::pair<std::string, int32_t>, bool> partitions;
  for (const auto& [tp, m] : view->owners) partitions[tp] = true;
  for (const auto& [tp, offset] : view->committed) partitions[tp] = true;
  nlohmann::json rows = nlohmann::json::array();
  if (!o.json) {
    printf("%-24s %-24s %9s %14s %14s %8s %-40s %-16s %s\n", "GROUP", "TOPIC", "PARTITION",
           "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "CONSUMER-ID", "HOST", "CLIENT-ID");
  }
  for (const auto& [tp, unused] : partitions) {
    int64_t low = -1, high = -1;
    rd_kafka_query_watermark_offsets(rk.get(), tp.first.c_str(), tp.second, &low, &high, 10000);
    auto committed = view->committed.find(tp);
    auto owner = view->owners.find(tp);
    std::optional<int64_t> current;
    if (committed != view->committed.end()) current = committed->second;
    std::optional<int64_t> lag;
    if (current && high >= 0) lag = high - *current;
    member_row m = owner == view->owners.end() ? member_row{"-", "-", "-"} : owner->second;
    if (o.json) {
      rows.push_back({{"topic", tp.first},
                      {"partition", tp.second},
                      {"current_offset", current ? nlohmann::json(*current) : nlohmann::json()},
                      {"log_end_offset", high},
                      {"lag", lag ? nlohmann::json(*lag) : nlohmann::json()},
                      {"consumer_id", m.consumer_id},
                      {"host", m.host},
                      {"client_id", m.client_id}});
    } else {
      printf("%-24s %-24s %9d %14s %14lld %8s %-40s %-16s %s\n", o.group.c_str(), tp.first.c_str(),
             tp.second, current ? std::to_string(*current).c_str() : "-",
             static_cast<long long>(high), lag ? std::to_string(*lag).c_str() : "-",
             m.consumer_id.c_str(), m.host.c_str(), m.client_id.c_str());
    }
  }
  if (o.json) {
    nlohmann::json out{{"group", o.group}, {"state", view->state}, {"partitions", rows}};
    printf("%s\n", out.dump().c_str());
  } else {
    printf("\nGroup %s is %s.\n", o.group.c_str(), view->state.c_str());
  }
  return 0;
}

int delete_group(const group_options& o) {
  client_ptr rk = connect_admin(o.bootstrap);
  queue_ptr q = new_queue(rk.get());
  rd_kafka_DeleteGroup_t* request = rd_kafka_DeleteGroup_new(o.group.c_str());
  rd_kafka_DeleteGroups(rk.get(), &request, 1, nullptr, q.get());
  rd_kafka_DeleteGroup_destroy(request);
  event_ptr ev = wait_result(q.get(), "deleting the group");
  if (ev == nullptr) return 1;
  size_t n = 0;
  const rd_kafka_group_result_t** results =
      rd_kafka_DeleteGroups_result_groups(rd_kafka_event_DeleteGroups_result(ev.get()), &n);
  for (size_t i = 0; i < n; ++i) {
    if (const rd_kafka_error_t* e = rd_kafka_group_result_error(results[i])) {
      fprintf(stderr, "rill: deleting group %s: %s\n", rd_kafka_group_result_name(results[i]),
              rd_kafka_error_string(e));
      return 1;
    }
  }
  printf("deleted group %s\n", o.group.c_str());
  return 0;
}

int reset_offsets(const group_options& o) {
  client_ptr rk = connect_admin(o.bootstrap);
  std::optional<group_view> view = describe_group(rk.get(), o.group);
  if (!view) return 1;
  if (view->state != "Empty" && view->state != "Dead") {
    fprintf(stderr, "rill: group %s is %s; stop its consumers before resetting offsets\n",
            o.group.c_str(), view->state.c_str());
    return 1;
  }
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_topic_t* t = rd_kafka_topic_new(rk.get(), o.topic.c_str(), nullptr);
  rd_kafka_resp_err_t err = rd_kafka_metadata(rk.get(), 0, t, &md, 10000);
  rd_kafka_topic_destroy(t);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR || md->topic_cnt != 1 || md->topics[0].err != 0) {
    fprintf(stderr, "rill: topic %s: %s\n", o.topic.c_str(),
            rd_kafka_err2str(err != 0 ? err : md->topics[0].err));
    if (md != nullptr) rd_kafka_metadata_destroy(md);
    return 1;
  }
  partition_list plan(rd_kafka_topic_partition_list_new(md->topics[0].partition_cnt),
                      rd_kafka_topic_partition_list_destroy);
  nlohmann::json rows = nlohmann::json::array();
  if (!o.json) printf("%-24s %-24s %9s %14s\n", "GROUP", "TOPIC", "PARTITION", "NEW-OFFSET");
  for (int i = 0; i < md->topics[0].partition_cnt; ++i) {
    int32_t p = md->topics[0].partitions[i].id;
    int64_t low = 0, high = 0;
    rd_kafka_query_watermark_offsets(rk.get(), o.topic.c_str(), p, &low, &high, 10000);
    int64_t target = o.to_earliest ? low : o.to_latest ? high : std::clamp(*o.to_offset, low, high);
    rd_kafka_topic_partition_list_add(plan.get(), o.topic.c_str(), p)->offset = target;
    if (o.json) {
      rows.push_back({{"topic", o.topic}, {"partition", p}, {"new_offset", target}});
    } else {
      printf("%-24s %-24s %9d %14lld\n", o.group.c_str(), o.topic.c_str(), p,
             static_cast<long long>(target));
    }
  }
  rd_kafka_metadata_destroy(md);
  if (o.json) {
    printf("%s\n", nlohmann::json{{"group", o.group}, {"executed", o.execute}, {"partitions", rows}}
                       .dump()
                       .c_str());
  }
  if (!o.execute) {
    if (!o.json) printf("\n(dry run: add --execute to commit these offsets)\n");
    return 0;
  }
  queue_ptr q = new_queue(rk.get());
  rd_kafka_AlterConsumerGroupOffsets_t* request =
      rd_kafka_AlterConsumerGroupOffsets_new(o.group.c_str(), plan.get());
  rd_kafka_AlterConsumerGroupOffsets(rk.get(), &request, 1, nullptr, q.get());
  rd_kafka_AlterConsumerGroupOffsets_destroy(request);
  event_ptr ev = wait_result(q.get(), "committing the new offsets");
  if (ev == nullptr) return 1;
  size_t n = 0;
  const rd_kafka_group_result_t** results = rd_kafka_AlterConsumerGroupOffsets_result_groups(
      rd_kafka_event_AlterConsumerGroupOffsets_result(ev.get()), &n);
  for (size_t g = 0; g < n; ++g) {
    const rd_kafka_topic_partition_list_t* parts = rd_kafka_group_result_partitions(results[g]);
    for (int i = 0; parts != nullptr && i < parts->cnt; ++i) {
      if (parts->elems[i].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        fprintf(stderr, "rill: %s-%d: %s\n", parts->elems[i].topic, parts->elems[i].partition,
                rd_kafka_err2str(parts->elems[i].err));
        return 1;
      }
    }
  }
  if (!o.json) printf("offsets of group %s reset\n", o.group.c_str());
  return 0;
}

}  // namespace

int groups_main(const std::vector<std::string>& args) {
  group_options o;
  CLI::App app("Lists, describes, deletes consumer groups and resets their offsets.",
               "rill groups");
  app.require_subcommand(1);
  CLI::App* list = app.add_subcommand("list", "every group with its state");
  CLI::App* describe_cmd = app.add_subcommand(
      "describe", "per partition: committed offset, log end, lag and the member that owns it");
  CLI::App* remove = app.add_subcommand("delete", "delete an empty group and its offsets");
  CLI::App* reset = app.add_subcommand(
      "reset-offsets", "set an inactive group's offsets of a topic (a dry run without --execute)");
  for (CLI::App* cmd : {list, describe_cmd, remove, reset}) {
    cmd->add_option("--bootstrap,--bootstrap-server", o.bootstrap, "a broker, HOST:PORT")
        ->capture_default_str();
  }
  for (CLI::App* cmd : {describe_cmd, remove, reset}) {
    cmd->add_option("--group", o.group, "group id")->required();
  }
  for (CLI::App* cmd : {list, describe_cmd, reset}) cmd->add_flag("--json", o.json, "JSON output");
  reset->add_option("--topic", o.topic, "topic whose offsets to reset")->required();
  CLI::Option* earliest = reset->add_flag("--to-earliest", o.to_earliest, "the log start");
  CLI::Option* latest = reset->add_flag("--to-latest", o.to_latest, "the log end");
  CLI::Option* offset =
      reset->add_option("--to-offset", o.to_offset, "this offset (within the log start and end)");
  earliest->excludes(latest)->excludes(offset);
  latest->excludes(offset);
  reset->add_flag("--execute", o.execute, "commit the new offsets (default: only print them)");
  if (auto code = parse_command_line(app, args)) return *code;
  if (list->parsed()) return list_groups(o);
  if (describe_cmd->parsed()) return describe(o);
  if (remove->parsed()) return delete_group(o);
  if (!o.to_earliest && !o.to_latest && !o.to_offset) {
    fprintf(stderr, "rill groups reset-offsets: one of --to-earliest, --to-latest, --to-offset\n");
    return 2;
  }
  return reset_offsets(o);
}

}  // namespace rill::cli
