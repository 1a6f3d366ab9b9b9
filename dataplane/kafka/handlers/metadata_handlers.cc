// ApiVersions, Metadata, FindCoordinator.
#include <algorithm>

#include "base/assert.h"
#include "control/topic_config.h"
#include "dataplane/group/group_coordinator.h"
#include "dataplane/kafka/handlers/handler.h"
#include "dataplane/kafka/messages/admin.h"
#include "dataplane/kafka/messages/api_versions.h"
#include "dataplane/kafka/messages/metadata.h"
#include "dataplane/node/shard_state.h"
#include "platform/runtime/clock.h"
#include "platform/runtime/uring_op.h"

namespace rill::kafka {

task<handler_result> handle_api_versions(const request_header& h, wire_reader& in) {
  api_versions_request req;
  if (!decode_message(in, h, &req)) co_return malformed_request(h, "bad body");
  co_return respond(h, [&](response_buffer& out) {
    encode_api_versions_response(out.writer(), h.version, error_code::none);
  });
}

namespace {

// self: this broker's id, reported as leader only while it holds the lease.
metadata_topic describe_topic(const control::cluster_snapshot& s, const control::topic_info& t,
                              int32_t self, bool leasing) {
  metadata_topic mt;
  mt.name = t.name;
  mt.id = t.id;
  mt.is_internal = t.name == group::k_offsets_topic;
  for (const control::partition_info& p : t.partitions) {
    metadata_partition mp;
    mp.index = p.index;
    mp.leader = p.leader == self && !leasing ? -1 : p.leader;
    mp.leader_epoch = p.leader_epoch;
    mp.replicas = p.replicas;
    mp.isr = p.isr;
    for (int32_t r : p.replicas) {
      auto b = s.brokers.find(r);
      if (b == s.brokers.end() || !b->second.alive) mp.offline.push_back(r);
    }
    if (mp.leader < 0) mp.error = error_code::leader_not_available;
    mt.partitions.push_back(std::move(mp));
  }
  RILL_ASSERT(mt.partitions.size() == t.partitions.size());
  return mt;
}

}  // namespace

task<handler_result> handle_metadata(const request_header& h, wire_reader& in,
                                     request_context& ctx) {
  metadata_request req;
  if (!decode_message(in, h, &req)) co_return malformed_request(h, "bad body");
  const std::optional<std::vector<std::string>> names = requested_topic_names(req, h.version);
  auto& local = partition::shard_state::local();
  // Right after start-up the metadata store may still be loading.
  for (int i = 0; i < 500 && local.snapshot()->brokers.empty(); ++i) {
    co_await runtime::sleep_for(local.shard(), 10 * runtime::k_ns_per_ms);
  }
  if (names && req.allow_auto_topic_creation) co_await auto_create_topics(ctx, *names);
  control::snapshot_ptr s = local.snapshot();
  metadata_response resp;
  resp.cluster_id = s->cluster_id;
  resp.controller_id = reported_controller_id(*s);
  const int32_t self = ctx.broker->settings().broker_id;
  const bool leasing = ctx.broker->lease().valid(runtime::monotonic_ns());
  for (const auto& [id, b] : s->brokers) {
    if (b.alive) resp.brokers.push_back({b.id, b.host, b.port, b.rack});
  }
  if (!names) {
    for (const auto& [name, t] : s->topics)
      resp.topics.push_back(describe_topic(*s, t, self, leasing));
  } else {
    for (const std::string& name : *names) {
      const control::topic_info* t = s->find_topic(name);
      if (t != nullptr) {
        resp.topics.push_back(describe_topic(*s, *t, self, leasing));
      } else {
        metadata_topic missing;
        missing.name = name;
        missing.error = control::valid_topic_name(name) ? error_code::unknown_topic_or_partition
                                                        : error_code::invalid_topic_exception;
        resp.topics.push_back(std::move(missing));
      }
    }
    RILL_ASSERT(resp.topics.size() == names->size(), "%zu topics described for %zu named",
                resp.topics.size(), names->size());
  }
  co_return respond(h, [&](response_buffer& out) { encode_message(out, h, resp); });
}

}  // namespace rill::kafka
