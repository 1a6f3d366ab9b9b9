#include "control/controller_service.h"

#include <algorithm>

#include "base/assert.h"
#include "base/log.h"
#include "control/election.h"

namespace rill::control {
namespace {

// Requests with more ISR changes than this are logged as one line.
constexpr size_t k_isr_changes_logged_max = 8;

}  // namespace

controller_service::controller_service(metadata_service& store, controller_options options,
                                       int64_t now_ms)
    : store_(store), options_(options), last_preferred_check_ms_(now_ms) {
  // Brokers the store believes alive get one session timeout from now to
  // heartbeat (they re-register, as their broker epoch is unknown here).
  for (const auto& [id, b] : store_.snapshot()->brokers) {
    if (b.alive) sessions_[id] = {-1, now_ms};
  }
}

task<topic_errc> controller_service::publish(std::function<bool(cluster_snapshot&)> mutate) {
  topic_errc e = co_await store_.update(std::move(mutate));
  if (e == topic_errc::ok && on_change_) on_change_();
  co_return e;
}

void controller_service::note_changes(const std::vector<leader_change>& changes, const char* why) {
  for (const leader_change& c : changes) {
    if (c.new_leader >= 0 && c.new_leader != c.old_leader) ++counters_.elections;
    if (c.new_leader < 0 && c.old_leader >= 0) ++counters_.partitions_offlined;
    RILL_INFO("controller", "%s-%d: leader %d -> %d at epoch %d (%s)%s", c.topic.c_str(),
              c.partition, c.old_leader, c.new_leader, c.leader_epoch, why,
              c.new_leader < 0 ? ": OFFLINE" : "");
  }
}

task<rpc::register_response> controller_service::register_broker(const rpc::register_request& req,
                                                                 int64_t now_ms) {
  if (req.broker_id < 0 || req.port <= 0 || req.host.empty()) {
    co_return rpc::register_response{rpc::k_error_unknown_broker, -1};
  }
  std::vector<leader_change> changes;
  topic_errc e = co_await publish([&](cluster_snapshot& s) {
    broker_info& b = s.brokers[req.broker_id];
    b.id = req.broker_id;
    b.host = req.host;
    b.port = req.port;
    b.rack = req.rack;
    changes = unfence_broker(s, ids::broker{req.broker_id});
    std::vector<leader_change> healthy = clear_offline_replicas(s, ids::broker{req.broker_id});
    changes.insert(changes.end(), healthy.begin(), healthy.end());
    RILL_ASSERT(broker_alive(s, ids::broker{req.broker_id}));
    return true;
  });
  if (e != topic_errc::ok) co_return rpc::register_response{static_cast<int16_t>(e), -1};
  int64_t epoch = store_.snapshot()->epoch;
  sessions_[req.broker_id] = {epoch, now_ms};
  RILL_INFO("controller", "broker %d registered at %s:%d (broker epoch %lld)", req.broker_id,
            req.host.c_str(), req.port, static_cast<long long>(epoch));
  note_changes(changes, "broker returned");
  co_return rpc::register_response{0, epoch, static_cast<int32_t>(options_.session_timeout_ms)};
}

task<rpc::heartbeat_response> controller_service::heartbeat(const rpc::heartbeat_request& req,
                                                            int64_t now_ms) {
  auto it = sessions_.find(req.broker_id);
  if (it == sessions_.end() || it->second.broker_epoch != req.broker_epoch) {
    co_return rpc::heartbeat_response{rpc::k_error_stale_broker_epoch, metadata_epoch(), false};
  }
  it->second.last_heartbeat_ms = now_ms;
  rpc::heartbeat_response resp{0, metadata_epoch(), false};
  if (req.want_shutdown) {
    // Controlled shutdown: leaderships move to live ISR members first; what
    // cannot move goes offline when the broker is fenced right after.
    std::vector<leader_change> moved, fenced;
    int32_t id = req.broker_id;
    topic_errc e = co_await publish([&](cluster_snapshot& s) {
      moved = move_leadership_off(s, ids::broker{id});
      fenced = fence_broker(s, ids::broker{id});
      for (const leader_change& c : moved) {
        RILL_ASSERT(c.new_leader != id, "controlled shutdown of %d kept %s-%d", id, c.topic.c_str(),
                    c.partition);
      }
      RILL_ASSERT(!broker_alive(s, ids::broker{id}));
      return true;
    });
    if (e == topic_errc::ok) {
      sessions_.erase(req.broker_id);
      ++counters_.brokers_fenced;
      note_changes(moved, "controlled shutdown");
      note_changes(fenced, "controlled shutdown");
      RILL_INFO("controller", "broker %d shut down cleanly", id);
      resp.shutdown_ready = true;
      resp.metadata_epoch = metadata_epoch();
    }
  }
  co_return resp;
}

rpc::fetch_metadata_response controller_service::fetch_metadata(int64_t known_epoch) const {
  snapshot_ptr s = store_.snapshot();
  rpc::fetch_metadata_response r{0, s->epoch, std::nullopt, {}};
  if (s->epoch <= known_epoch) return r;
  if (auto deltas = store_.deltas_after(known_epoch)) {
    RILL_ASSERT(!deltas->empty(), "no delta from epoch %lld to %lld",
                static_cast<long long>(known_epoch), static_cast<long long>(s->epoch));
    for (const auto& d : *deltas) r.deltas.push_back(*d);
  } else {
    r.snapshot = serialize_snapshot(*s);
  }
  return r;
}

task<rpc::topics_response> controller_service::create_topics(
    const rpc::create_topics_request& req) {
  std::vector<topic_spec> specs;
  for (const rpc::topic_spec_wire& t : req.topics) {
    specs.push_back({t.name, t.partitions, t.replication_factor, t.configs, t.assignments});
  }
  auto outcomes = co_await store_.create_topics(std::move(specs), req.validate_only);
  if (!req.validate_only && on_change_) on_change_();
  rpc::topics_response resp{metadata_epoch(), {}};
  for (const topic_outcome& o : outcomes) {
    resp.results.push_back({o.name, static_cast<int16_t>(o.error), o.message});
    if (o.error == topic_errc::ok && !req.validate_only)
      RILL_INFO("controller", "created topic %s", o.name.c_str());
  }
  co_return resp;
}

task<rpc::topics_response> controller_service::delete_topics(
    const rpc::delete_topics_request& req) {
  auto outcomes = co_await store_.delete_topics(req.names);
  if (on_change_) on_change_();
  rpc::topics_response resp{metadata_epoch(), {}};
  for (const topic_outcome& o : outcomes)
    resp.results.push_back({o.name, static_cast<int16_t>(o.error), o.message});
  co_return resp;
}

task<rpc::topics_response> controller_service::alter_topic_config(
    const rpc::alter_topic_config_request& req) {
  topic_outcome o = co_await store_.alter_topic_config(req.name, req.change);
  if (on_change_) on_change_();
  co_return rpc::topics_response{metadata_epoch(),
                                 {{o.name, static_cast<int16_t>(o.error), o.message}}};
}

task<rpc::topics_response> controller_service::create_partitions(
    const rpc::create_partitions_request& req) {
  std::vector<partition_increase> increases;
  for (const auto& t : req.topics) increases.push_back({t.name, t.count, t.assignments});
  std::vector<topic_outcome> outcomes =
      co_await store_.create_partitions(std::move(increases), req.validate_only);
  if (on_change_) on_change_();
  rpc::topics_response resp{metadata_epoch(), {}};
  for (const topic_outcome& o : outcomes) {
    resp.results.push_back({o.name, static_cast<int16_t>(o.error), o.message});
  }
  co_return resp;
}

task<rpc::allocate_producer_ids_response> controller_service::allocate_producer_ids(
    const rpc::allocate_producer_ids_request& req) {
  auto it = sessions_.find(req.broker_id);
  if (it == sessions_.end() || it->second.broker_epoch != req.broker_epoch) {
    co_return rpc::allocate_producer_ids_response{rpc::k_error_stale_broker_epoch};
  }
  int64_t first = -1;
  topic_errc e = co_await publish([&](cluster_snapshot& s) {
    first = take_producer_id_block(s);
    return true;
  });
  if (e != topic_errc::ok) co_return rpc::allocate_producer_ids_response{static_cast<int16_t>(e)};
  RILL_INFO("controller", "producer ids %lld-%lld to broker %d", static_cast<long long>(first),
            static_cast<long long>(first + k_producer_id_block - 1), req.broker_id);
  co_return rpc::allocate_producer_ids_response{0, first, k_producer_id_block};
}

task<rpc::topics_response> controller_service::alter_reassignments(
    const rpc::alter_reassignments_request& req) {
  std::vector<reassign_errc> errors;
  std::vector<leader_change> changes;
  topic_errc e = co_await publish([&](cluster_snapshot& s) {
    errors = reassign_partitions(s, req.partitions, &changes);
    return std::count(errors.begin(), errors.end(), reassign_errc::ok) > 0;
  });
  if (e == topic_errc::ok) note_changes(changes, "reassignment");
  co_return rpc::topics_response{metadata_epoch(),
                                 rpc::reassignment_results(req, errors, static_cast<int16_t>(e))};
}

task<rpc::alter_partitions_response> controller_service::alter_partitions(
    const rpc::alter_partitions_request& req) {
  std::vector<isr_change_errc> results(req.partitions.size(), isr_change_errc::ok);
  std::vector<leader_change> moved;
  // One change for the whole request: one delta stored and sent, however
  // many partitions it carries.
  topic_errc e = co_await publish([&](cluster_snapshot& s) {
    moved.clear();
    bool any = false;
    for (size_t i = 0; i < req.partitions.size(); ++i) {
      const rpc::alter_partition_request& p = req.partitions[i];
      results[i] = change_isr(s, {.topic = p.topic,
                                  .partition = ids::partition{p.partition},
                                  .leader = ids::broker{p.broker_id},
                                  .leader_epoch = ids::leader_epoch{p.leader_epoch},
                                  .partition_epoch = ids::partition_epoch{p.partition_epoch},
                                  .new_isr = p.isr});
      // A reassignment completes in the change that brings its last target
      // replica into the ISR.
      if (results[i] == isr_change_errc::ok) {
        complete_reassignment(s, p.topic, p.partition, &moved);
        any = true;
      }
    }
    return any;
  });
  if (e == topic_errc::ok) note_changes(moved, "reassignment complete");
  snapshot_ptr now = store_.snapshot();
  rpc::alter_partitions_response resp;
  size_t accepted = 0;
  for (size_t i = 0; i < req.partitions.size(); ++i) {
    const rpc::alter_partition_request& p = req.partitions[i];
    rpc::alter_partition_response& r = resp.partitions.emplace_back();
    if (results[i] != isr_change_errc::ok) {
      r.error = static_cast<int16_t>(rpc::k_error_isr_base + static_cast<int16_t>(results[i]));
    } else if (e != topic_errc::ok) {
      r.error = static_cast<int16_t>(e);
    } else {
      ++accepted;
    }
    if (const partition_info* info = now->find_partition(p.topic, p.partition)) {
      r.leader_epoch = info->leader_epoch;
      r.partition_epoch = info->partition_epoch;
      r.isr = info->isr;
    }
    if (r.error == 0 && req.partitions.size() <= k_isr_changes_logged_max) {
      RILL_INFO("controller", "%s-%d: ISR changed by leader %d (partition epoch %d)",
                p.topic.c_str(), p.partition, p.broker_id, r.partition_epoch);
    }
  }
  counters_.isr_changes += accepted;
  ++counters_.isr_change_requests;
  if (accepted > 0 && req.partitions.size() > k_isr_changes_logged_max) {
    RILL_INFO("controller", "%zu ISR changes from leader %d in one request (epoch %lld)", accepted,
              req.partitions.front().broker_id, static_cast<long long>(now->epoch));
  }
  RILL_ASSERT(resp.partitions.size() == req.partitions.size(), "%zu answers for %zu partitions",
              resp.partitions.size(), req.partitions.size());
  co_return resp;
}

task<rpc::report_replica_state_response> controller_service::report_replica_state(
    const rpc::report_replica_state_request& req) {
  auto it = sessions_.find(req.broker_id);
  if (it == sessions_.end() || it->second.broker_epoch != req.broker_epoch) {
    co_return rpc::report_replica_state_response{rpc::k_error_stale_broker_epoch, metadata_epoch()};
  }
  replica_state_change change;
  topic_errc e = co_await publish([&](cluster_snapshot& s) {
    const ids::broker broker{req.broker_id};
    const ids::partition partition{req.partition};
    change = req.offline ? set_replica_offline(s, broker, req.topic, partition)
                         : set_replica_online(s, broker, req.topic, partition);
    return change.changed;
  });
  if (!change.known) {
    co_return rpc::report_replica_state_response{static_cast<int16_t>(topic_errc::unknown_topic),
                                                 metadata_epoch()};
  }
  if (change.changed) {
    RILL_WARN("controller", "%s-%d: broker %d reports its replica %s", req.topic.c_str(),
              req.partition, req.broker_id, req.offline ? "offline (log failed)" : "healthy again");
    note_changes(change.leaders, req.offline ? "replica log offline" : "replica log back");
  }
  co_return rpc::report_replica_state_response{static_cast<int16_t>(e), metadata_epoch()};
}

task<rpc::elect_preferred_response> controller_service::elect_preferred() {
  std::vector<leader_change> changes;
  topic_errc e = co_await publish([&](cluster_snapshot& s) {
    changes = elect_preferred_leaders(s);
    return !changes.empty();
  });
  note_changes(changes, "preferred replica");
  co_return rpc::elect_preferred_response{static_cast<int16_t>(e),
                                          static_cast<int32_t>(changes.size())};
}

task<void> controller_service::connection_closed(int32_t broker, int64_t broker_epoch) {
  auto it = sessions_.find(broker);
  if (it == sessions_.end() || it->second.broker_epoch != broker_epoch) co_return;
  sessions_.erase(it);
  std::vector<leader_change> changes;
  (void)co_await publish([&](cluster_snapshot& s) {
    changes = fence_broker(s, ids::broker{broker});
    return true;
  });
  ++counters_.brokers_fenced;
  RILL_WARN("controller", "broker %d fenced: its controller connection closed", broker);
  note_changes(changes, "leader's broker gone");
}

task<void> controller_service::tick(int64_t now_ms) {
  std::vector<int32_t> expired;
  for (const auto& [id, sess] : sessions_) {
    if (now_ms - sess.last_heartbeat_ms >= options_.session_timeout_ms) expired.push_back(id);
  }
  for (int32_t id : expired) {
    // Re-check after every await: the broker may have re-registered.
    auto it = sessions_.find(id);
    if (it == sessions_.end() ||
        now_ms - it->second.last_heartbeat_ms < options_.session_timeout_ms)
      continue;
    sessions_.erase(it);
    std::vector<leader_change> changes;
    topic_errc e = co_await publish([&](cluster_snapshot& s) {
      changes = fence_broker(s, ids::broker{id});
      return true;
    });
    ++counters_.brokers_fenced;
    RILL_WARN("controller", "broker %d fenced: no heartbeat for %lld ms%s", id,
              static_cast<long long>(options_.session_timeout_ms),
              e == topic_errc::ok ? "" : " (store write failed)");
    note_changes(changes, "leader's broker fenced");
  }
  if (options_.auto_preferred_election &&
      now_ms - last_preferred_check_ms_ >= options_.preferred_check_interval_ms) {
    last_preferred_check_ms_ = now_ms;
    (void)co_await elect_preferred();
  }
}

}  // namespace rill::control
