// OffsetForLeaderEpoch (consumers detect log truncation with it, KIP-320),
// DeleteRecords, DescribeLogDirs, CreatePartitions and DescribeCluster.
#include <sys/statvfs.h>

#include <algorithm>
#include <map>

#include "base/assert.h"
#include "dataplane/kafka/handlers/error_mapping.h"
#include "dataplane/kafka/handlers/handler.h"
#include "dataplane/kafka/messages/cluster.h"
#include "dataplane/node/shard_state.h"
#include "platform/runtime/cross_shard.h"

namespace rill::kafka {

int32_t reported_controller_id(const control::cluster_snapshot& s) {
  // Clients send admin requests to "the controller"; Rill's controller is
  // no broker, and any broker forwards them. Every broker names the same
  // one: the lowest live broker id.
  int32_t id = -1;
  for (const auto& [broker_id, b] : s.brokers) {
    if (b.alive && (id < 0 || broker_id < id)) id = broker_id;
  }
  RILL_ASSERT(id < 0 || s.brokers.at(id).alive, "controller %d named but not alive", id);
  return id;
}

namespace {

// Runs fn(replica) on the shard owning a partition this broker leads, per
// its metadata; unknown_partition or not_leader otherwise.
// F: (partition::partition_replica&) -> task<partition::offset_lookup>.
template <typename F>
task<partition::offset_lookup> on_led_replica(const control::cluster_snapshot& s,
                                              const request_context& ctx, std::string topic,
                                              int32_t partition, F fn) {
  using partition::partition_errc;
  const control::partition_info* info = s.find_partition(topic, partition);
  if (info == nullptr) co_return partition::offset_lookup{partition_errc::unknown_partition};
  if (info->leader != ctx.broker->settings().broker_id) {
    co_return partition::offset_lookup{partition_errc::not_leader};
  }
  runtime::shard_id owner = partition::shard_state::local().owner_of(topic, partition);
  co_return co_await runtime::submit_to(
      owner, [topic, partition, fn]() -> task<partition::offset_lookup> {
        auto& local = partition::shard_state::local();
        RILL_ASSERT(local.owner_of(topic, partition) == local.shard().id(),
                    "%s-%d served on shard %u, not its owner", topic.c_str(), partition,
                    local.shard().id().value());
        auto r = local.find_shared(topic, partition);
        if (r == nullptr) co_return partition::offset_lookup{partition_errc::not_leader};
        co_return co_await fn(*r);
      });
}

}  // namespace

task<handler_result> handle_offset_for_leader_epoch(const request_header& h, wire_reader& in,
                                                    request_context& ctx) {
  offset_for_leader_epoch_request req;
  if (!decode_message(in, h, &req)) co_return malformed_request(h, "bad body");
  control::snapshot_ptr s = partition::shard_state::local().snapshot();
  offset_for_leader_epoch_response resp;
  for (const epoch_query_topic& t : req.topics) {
    epoch_end_topic& rt = resp.topics.emplace_back();
    rt.name = t.name;
    for (const epoch_query_partition& p : t.partitions) {
      epoch_end_partition& rp = rt.partitions.emplace_back();
      rp.partition = p.partition;
      partition::offset_lookup o = co_await on_led_replica(
          *s, ctx, t.name, p.partition,
          [epoch = p.leader_epoch, current = p.current_leader_epoch](
              partition::partition_replica& r) -> task<partition::offset_lookup> {
            co_return r.end_of_epoch(ids::leader_epoch{epoch}, ids::leader_epoch{current});
          });
      rp.error = static_cast<int16_t>(to_kafka(o.error));
      rp.leader_epoch = o.leader_epoch;
      rp.end_offset = o.offset;
      RILL_ASSERT(o.error != partition::partition_errc::ok || o.leader_epoch <= p.leader_epoch,
                  "%s-%d: epoch %d answered for %d", t.name.c_str(), p.partition, o.leader_epoch,
                  p.leader_epoch);
    }
    RILL_ASSERT(rt.partitions.size() == t.partitions.size(), "%s: %zu answers for %zu partitions",
                t.name.c_str(), rt.partitions.size(), t.partitions.size());
  }
  co_return respond(h, [&](response_buffer& out) { encode_message(out.writer(), h, resp); });
}

task<handler_result> handle_delete_records(const request_header& h, wire_reader& in,
                                           request_context& ctx) {
  delete_records_request req;
  if (!decode_message(in, h, &req)) co_return malformed_request(h, "bad body");
  control::snapshot_ptr s = partition::shard_state::local().snapshot();
  delete_records_response resp;
  for (const delete_records_topic& t : req.topics) {
    delete_records_topic_result& rt = resp.topics.emplace_back();
    rt.name = t.name;
    for (const delete_records_partition& p : t.partitions) {
      delete_records_partition_result& rp = rt.partitions.emplace_back();
      rp.partition = p.partition;
      partition::offset_lookup o = co_await on_led_replica(
          *s, ctx, t.name, p.partition,
          [offset = p.offset](partition::partition_replica& r) -> task<partition::offset_lookup> {
            co_return co_await r.delete_records(ids::offset{offset});
          });
      rp.error = static_cast<int16_t>(to_kafka(o.error));
      rp.low_watermark = o.error == partition::partition_errc::ok ? o.offset : -1;
      RILL_ASSERT(o.error != partition::partition_errc::ok || o.offset >= 0,
                  "%s-%d: records deleted to a negative log start", t.name.c_str(), p.partition);
    }
    RILL_ASSERT(rt.partitions.size() == t.partitions.size(), "%s: %zu answers for %zu partitions",
                t.name.c_str(), rt.partitions.size(), t.partitions.size());
  }
  co_return respond(h, [&](response_buffer& out) { encode_message(out.writer(), h, resp); });
}

namespace {

// This shard's replicas that a DescribeLogDirs request asks about.
std::vector<std::pair<std::pair<std::string, int32_t>, uint64_t>> local_sizes(
    const std::optional<std::vector<log_dir_query_topic>>& topics) {
  std::vector<std::pair<std::pair<std::string, int32_t>, uint64_t>> out;
  partition::shard_state::local().for_each_replica([&](const partition::partition_replica& r) {
    if (topics) {
      auto t = std::find_if(topics->begin(), topics->end(),
                            [&](const log_dir_query_topic& q) { return q.name == r.topic(); });
      if (t == topics->end() ||
          std::find(t->partitions.begin(), t->partitions.end(), r.index()) == t->partitions.end())
        return;
    }
    out.push_back({{r.topic(), r.index()}, r.size_bytes()});
  });
  return out;
}

}  // namespace

task<handler_result> handle_describe_log_dirs(const request_header& h, wire_reader& in,
                                              request_context& ctx) {
  describe_log_dirs_request req;
  if (!decode_message(in, h, &req)) co_return malformed_request(h, "bad body");
  auto& local = partition::shard_state::local();
  std::map<std::string, std::vector<log_dir_partition>> by_topic;
  for (uint32_t i = 0; i < local.shard().owner().shard_count(); ++i) {
    auto sizes = co_await runtime::submit_to(runtime::shard_id(i),
                                             [&req] { return local_sizes(req.topics); });
    for (const auto& [tp, bytes] : sizes) {
      by_topic[tp.first].push_back({tp.second, static_cast<int64_t>(bytes), 0, false});
    }
  }
  describe_log_dirs_response resp;
  log_dir_result& dir = resp.results.emplace_back();
  dir.log_dir = ctx.broker->settings().data_dir;
  struct statvfs fs {};
  if (statvfs(dir.log_dir.c_str(), &fs) == 0) {
    dir.total_bytes = static_cast<int64_t>(fs.f_blocks * fs.f_frsize);
    dir.usable_bytes = static_cast<int64_t>(fs.f_bavail * fs.f_frsize);
  } else {
    dir.error = static_cast<int16_t>(error_code::kafka_storage_error);
  }
  for (auto& [name, partitions] : by_topic) {
    std::sort(partitions.begin(), partitions.end(),
              [](const auto& a, const auto& b) { return a.partition < b.partition; });
    RILL_ASSERT(std::adjacent_find(partitions.begin(), partitions.end(),
                                   [](const auto& a, const auto& b) {
                                     return a.partition == b.partition;
                                   }) == partitions.end(),
                "%s: a partition on two shards", name.c_str());
    dir.topics.push_back({name, std::move(partitions)});
  }
  co_return respond(h, [&](response_buffer& out) { encode_message(out.writer(), h, resp); });
}

task<handler_result> handle_describe_producers(const request_header& h, wire_reader& in,
                                               request_context& ctx) {
  describe_producers_request req;
  if (!decode_message(in, h, &req)) co_return malformed_request(h, "bad body");
  auto& local = partition::shard_state::local();
  control::snapshot_ptr s = local.snapshot();
  describe_producers_response resp;
  for (const producers_query_topic& t : req.topics) {
    producers_topic& rt = resp.topics.emplace_back();
    rt.name = t.name;
    for (int32_t index : t.partitions) {
      producers_partition& rp = rt.partitions.emplace_back();
      rp.partition = index;
      if (s->find_partition(t.name, index) == nullptr) {
        rp.error = static_cast<int16_t>(error_code::unknown_topic_or_partition);
        continue;
      }
      using listing = std::pair<partition::partition_errc, std::vector<partition::producer_report>>;
      listing found = co_await runtime::submit_to(local.owner_of(t.name, index), [&t, index] {
        listing out{partition::partition_errc::not_leader, {}};
        auto r = partition::shard_state::local().find_shared(t.name, index);
        if (r != nullptr) out.first = r->active_producers(&out.second);
        return out;
      });
      rp.error = static_cast<int16_t>(to_kafka(found.first));
      for (const partition::producer_report& p : found.second) {
        rp.producers.push_back({.producer_id = p.producer_id,
                                .producer_epoch = p.epoch,
                                .last_sequence = p.last_sequence,
                                .last_timestamp = p.last_timestamp,
                                .current_txn_start_offset = p.current_txn_start_offset});
      }
    }
  }
  co_return respond(h, [&](response_buffer& out) { encode_message(out.writer(), h, resp); });
}

task<handler_result> handle_create_partitions(const request_header& h, wire_reader& in,
                                              request_context& ctx) {
  create_partitions_request req;
  if (!decode_message(in, h, &req)) co_return malformed_request(h, "bad body");
  std::vector<control::partition_increase> increases;
  for (partitions_increase& t : req.topics) {
    increases.push_back(
        {t.name, t.count, t.assignments.value_or(std::vector<std::vector<int32_t>>{})});
  }
  std::vector<control::topic_outcome> outcomes =
      co_await ctx.broker->create_partitions(std::move(increases), req.validate_only);
  create_partitions_response resp;
  for (const control::topic_outcome& o : outcomes) {
    create_partitions_result& r = resp.results.emplace_back();
    r.name = o.name;
    r.error = static_cast<int16_t>(to_kafka(o.error));
    if (o.error != control::topic_errc::ok) r.error_message = o.message;
  }
  co_return respond(h, [&](response_buffer& out) { encode_message(out.writer(), h, resp); });
}

task<handler_result> handle_describe_cluster(const request_header& h, wire_reader& in,
                                             request_context& ctx) {
  describe_cluster_request req;
  if (!decode_message(in, h, &req)) co_return malformed_request(h, "bad body");
  control::snapshot_ptr s = partition::shard_state::local().snapshot();
  describe_cluster_response resp;
  resp.endpoint_type = req.endpoint_type;
  if (req.endpoint_type != 1) {
    resp.error = static_cast<int16_t>(error_code::unsupported_endpoint_type);
    resp.error_message = "only broker endpoints are described";
  } else {
    resp.cluster_id = ctx.broker->settings().cluster_id;
    resp.controller_id = reported_controller_id(*s);
    for (const auto& [id, b] : s->brokers) {
      if (b.alive) resp.brokers.push_back({id, b.host, b.port, b.rack});
    }
  }
  co_return respond(h, [&](response_buffer& out) { encode_message(out.writer(), h, resp); });
}

}  // namespace rill::kafka
