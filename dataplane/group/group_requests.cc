// The coordinator's requests: membership (join, sync, heartbeat, leave),
// offsets (commit, fetch, delete) and administration (describe, delete,
// list). Each runs on the shard owning the group's offsets partition.
#include "base/assert.h"
#include "base/log.h"
#include "dataplane/group/coordinator_internal.h"
#include "dataplane/group/group_coordinator.h"
#include "platform/runtime/clock.h"

namespace rill::group {
namespace {

// Beyond the member's own timeouts, how long a parked JoinGroup or
// SyncGroup may wait before it answers REBALANCE_IN_PROGRESS.
constexpr uint64_t k_wait_slack_ms = 5000;

uint64_t deadline_after_ms(int64_t ms) {
  return runtime::monotonic_ns() +
         static_cast<uint64_t>(std::max<int64_t>(ms, 0)) * runtime::k_ns_per_ms;
}

storage::record_spec offset_record(const std::string& group, const topic_partition& tp,
                                   const committed_offset* value) {
  std::vector<uint8_t> key = encode_key(offset_key{group, tp.first, tp.second});
  storage::record_spec r;
  r.key = std::string(key.begin(), key.end());
  if (value != nullptr) {
    std::vector<uint8_t> v = encode_offset_value(
        {value->offset, value->leader_epoch, value->metadata, value->commit_timestamp_ms});
    r.value = std::string(v.begin(), v.end());
  }
  return r;
}

}  // namespace

task<join_answer> group_coordinator::join(int32_t partition, std::string group_id, join_request r) {
  operation op(*this);
  auto acquired = co_await acquire(partition);
  if (!acquired.ok()) co_return join_answer{.error = acquired.error(), .member_id = r.member_id};
  if (group_id.empty()) co_return join_answer{.error = group_errc::invalid_group_id};
  offsets_partition* part = acquired.value();
  auto slot = find_or_create_group(*part, group_id);
  step<join_answer> s = slot->group.join(r, now_ms());
  after_change(*part, slot);
  if (s.answer) co_return std::move(*s.answer);
  int64_t wait_ms = std::max(r.rebalance_timeout_ms, r.session_timeout_ms);
  co_return co_await wait_for_join(slot, s.member_id, deadline_after_ms(wait_ms + k_wait_slack_ms));
}

task<join_answer> group_coordinator::wait_for_join(std::shared_ptr<group_slot> slot,
                                                   std::string member_id, uint64_t deadline_ns) {
  while (true) {
    if (slot->gone) co_return join_answer{.error = group_errc::not_coordinator};
    member* m = slot->group.find_member(member_id);
    if (m == nullptr) co_return join_answer{.error = group_errc::unknown_member_id};
    if (m->join_result) {
      join_answer a = std::move(*m->join_result);
      m->join_result.reset();
      co_return a;
    }
    if (!m->awaiting_join || runtime::monotonic_ns() >= deadline_ns) {
      co_return join_answer{.error = group_errc::rebalance_in_progress, .member_id = member_id};
    }
    co_await slot->changed.wait_until(*shard_, deadline_ns);
  }
}

task<sync_answer> group_coordinator::sync(int32_t partition, std::string group_id, sync_request r) {
  operation op(*this);
  auto acquired = co_await acquire(partition);
  if (!acquired.ok()) co_return sync_answer{.error = acquired.error()};
  offsets_partition* part = acquired.value();
  auto slot = find_group(*part, group_id);
  if (slot == nullptr) co_return sync_answer{.error = group_errc::unknown_member_id};
  step<sync_answer> s = slot->group.sync(r, now_ms());
  after_change(*part, slot);
  if (s.answer) co_return std::move(*s.answer);
  member* m = slot->group.find_member(s.member_id);
  RILL_ASSERT(m != nullptr, "group %s parks a sync of non-member %s", group_id.c_str(),
              s.member_id.c_str());
  int64_t wait_ms = std::max(m->rebalance_timeout_ms, m->session_timeout_ms);
  co_return co_await wait_for_sync(slot, s.member_id, deadline_after_ms(wait_ms + k_wait_slack_ms));
}

task<sync_answer> group_coordinator::wait_for_sync(std::shared_ptr<group_slot> slot,
                                                   std::string member_id, uint64_t deadline_ns) {
  while (true) {
    if (slot->gone) co_return sync_answer{.error = group_errc::not_coordinator};
    member* m = slot->group.find_member(member_id);
    if (m == nullptr) co_return sync_answer{.error = group_errc::unknown_member_id};
    if (m->sync_result) {
      sync_answer a = std::move(*m->sync_result);
      m->sync_result.reset();
      co_return a;
    }
    if (!m->awaiting_sync || runtime::monotonic_ns() >= deadline_ns) {
      co_return sync_answer{.error = group_errc::rebalance_in_progress};
    }
    co_await slot->changed.wait_until(*shard_, deadline_ns);
  }
}

task<group_errc> group_coordinator::heartbeat(int32_t partition, std::string group_id,
                                              std::string member_id,
                                              std::optional<std::string> instance_id,
                                              int32_t generation) {
  operation op(*this);
  auto acquired = co_await acquire(partition);
  if (!acquired.ok()) co_return acquired.error();
  auto slot = find_group(*acquired.value(), group_id);
  if (slot == nullptr) co_return group_errc::unknown_member_id;
  co_return slot->group.heartbeat(member_id, instance_id, generation, now_ms());
}

task<std::vector<group_errc>> group_coordinator::leave(
    int32_t partition, std::string group_id,
    std::vector<std::pair<std::string, std::optional<std::string>>> members) {
  operation op(*this);
  std::vector<group_errc> out;
  auto acquired = co_await acquire(partition);
  if (!acquired.ok()) {
    out.push_back(acquired.error());
    co_return out;
  }
  offsets_partition* part = acquired.value();
  auto slot = find_group(*part, group_id);
  out.push_back(slot == nullptr ? group_errc::unknown_member_id : group_errc::ok);
  for (const auto& [member_id, instance_id] : members) {
    out.push_back(slot == nullptr ? group_errc::unknown_member_id
                                  : slot->group.leave(member_id, instance_id, now_ms()));
  }
  if (slot != nullptr) after_change(*part, slot);
  co_return out;
}

task<std::vector<group_errc>> group_coordinator::commit(int32_t partition, std::string group_id,
                                                        commit_request r) {
  operation op(*this);
  std::vector<group_errc> out(r.items.size(), group_errc::ok);
  auto fail_all = [&](group_errc e) {
    std::fill(out.begin(), out.end(), e);
    return out;
  };
  auto acquired = co_await acquire(partition);
  if (!acquired.ok()) co_return fail_all(acquired.error());
  if (group_id.empty()) co_return fail_all(group_errc::invalid_group_id);
  offsets_partition* part = acquired.value();
  auto slot = find_group(*part, group_id);
  if (slot == nullptr) {
    // A group that does not rely on the coordinator for membership.
    if (r.generation >= 0) co_return fail_all(group_errc::illegal_generation);
    slot = find_or_create_group(*part, group_id);
  }
  // A transaction's commit names its consumer only when the producer was
  // given the consumer's group metadata (KIP-447); then it is checked.
  bool check_member = !r.transaction || !r.member_id.empty() || r.generation >= 0;
  group_errc valid = check_member
                         ? slot->group.validate_commit(r.member_id, r.instance_id, r.generation)
                         : group_errc::ok;
  if (valid != group_errc::ok) co_return fail_all(valid);
  std::vector<storage::record_spec> records;
  std::vector<size_t> written;  // which items the records are
  int64_t now = epoch_ms();
  for (size_t i = 0; i < r.items.size(); ++i) {
    commit_item& item = r.items[i];
    if (static_cast<int64_t>(item.value.metadata.size()) > settings_.offset_metadata_bytes_max) {
      out[i] = group_errc::offset_metadata_too_large;
      continue;
    }
    item.value.commit_timestamp_ms = now;
    records.push_back(offset_record(group_id, item.tp, &item.value));
    written.push_back(i);
  }
  if (records.empty()) co_return out;
  auto appended = co_await append(*part, std::move(records), r.transaction);
  if (!appended.ok()) {
    for (size_t i : written) out[i] = appended.error();
    co_return out;
  }
  if (slot->gone) co_return out;  // committed; the next coordinator loads it
  if (r.transaction) {
    // Takes effect with the transaction's commit marker (complete_transaction).
    std::vector<pending_commit>& pending = part->pending[r.transaction->id];
    for (size_t k = 0; k < written.size(); ++k) {
      const commit_item& item = r.items[written[k]];
      pending.push_back(
          {group_id, item.tp, item.value, appended.value() + static_cast<int64_t>(k)});
    }
    co_return out;
  }
  for (size_t k = 0; k < written.size(); ++k) {
    const commit_item& item = r.items[written[k]];
    int64_t position = appended.value() + static_cast<int64_t>(k);
    auto it = slot->positions.find(item.tp);
    if (it != slot->positions.end() && it->second > position) continue;
    slot->positions[item.tp] = position;
    slot->group.apply_offset(item.tp, item.value);
  }
  co_return out;
}

task<group_offsets> group_coordinator::fetch_offsets(
    int32_t partition, std::string group_id, std::optional<std::vector<topic_partition>> tps,
    bool require_stable) {
  operation op(*this);
  auto acquired = co_await acquire(partition);
  if (!acquired.ok()) co_return group_offsets{.error = acquired.error()};
  auto slot = find_group(*acquired.value(), group_id);
  group_offsets out;
  if (require_stable) {
    for (const auto& [producer, commits] : acquired.value()->pending) {
      for (const pending_commit& c : commits) {
        if (c.group_id == group_id) out.unstable.push_back(c.tp);
      }
    }
  }
  if (!tps) {
    if (slot != nullptr) {
      for (const auto& [tp, o] : slot->group.offsets()) out.offsets.emplace_back(tp, o);
    }
    co_return out;
  }
  for (const topic_partition& tp : *tps) {
    committed_offset o;  // -1: nothing committed
    if (slot != nullptr) {
      auto it = slot->group.offsets().find(tp);
      if (it != slot->group.offsets().end()) o = it->second;
    }
    out.offsets.emplace_back(tp, o);
  }
  co_return out;
}

task<group_description> group_coordinator::describe(int32_t partition, std::string group_id) {
  operation op(*this);
  auto acquired = co_await acquire(partition);
  if (!acquired.ok()) co_return group_description{.error = acquired.error()};
  auto slot = find_group(*acquired.value(), group_id);
  group_description d;
  if (slot == nullptr) co_return d;  // Dead, as Kafka describes an unknown group
  const consumer_group& g = slot->group;
  d.state = g.state();
  d.protocol_type = g.protocol_type();
  d.protocol = g.protocol_name().value_or("");
  for (const auto& [id, m] : g.members()) {
    member_description md{.member_id = id,
                          .instance_id = m.instance_id,
                          .client_id = m.client_id,
                          .client_host = m.client_host,
                          .assignment = m.assignment};
    if (g.protocol_name()) {
      if (const std::string* meta = m.metadata_for(*g.protocol_name())) md.metadata = *meta;
    }
    d.members.push_back(std::move(md));
  }
  co_return d;
}

task<group_errc> group_coordinator::delete_group(int32_t partition, std::string group_id) {
  operation op(*this);
  auto acquired = co_await acquire(partition);
  if (!acquired.ok()) co_return acquired.error();
  offsets_partition* part = acquired.value();
  auto slot = find_group(*part, group_id);
  if (slot == nullptr) co_return group_errc::group_id_not_found;
  if (slot->group.state() != group_state::empty) co_return group_errc::non_empty_group;
  std::vector<storage::record_spec> tombstones;
  for (const auto& [tp, o] : slot->group.offsets()) {
    tombstones.push_back(offset_record(group_id, tp, nullptr));
  }
  std::vector<uint8_t> key = encode_key(group_key{group_id});
  tombstones.push_back({.key = std::string(key.begin(), key.end()), .value = std::nullopt});
  auto appended = co_await append(*part, std::move(tombstones));
  if (!appended.ok()) co_return appended.error();
  if (slot->gone) co_return group_errc::ok;
  slot->group.mark_dead();
  slot->gone = true;
  slot->changed.notify_all();
  part->groups.erase(group_id);
  RILL_INFO("group", "group %s deleted", group_id.c_str());
  co_return group_errc::ok;
}

task<std::pair<group_errc, std::vector<group_errc>>> group_coordinator::delete_offsets(
    int32_t partition, std::string group_id, std::vector<topic_partition> tps) {
  operation op(*this);
  std::vector<group_errc> out(tps.size(), group_errc::ok);
  auto acquired = co_await acquire(partition);
  if (!acquired.ok()) co_return std::pair{acquired.error(), out};
  offsets_partition* part = acquired.value();
  auto slot = find_group(*part, group_id);
  if (slot == nullptr) co_return std::pair{group_errc::group_id_not_found, out};
  std::set<std::string> subscribed;
  if (slot->group.state() != group_state::empty) {
    if (slot->group.protocol_type() != "consumer") {
      co_return std::pair{group_errc::non_empty_group, out};
    }
    subscribed = slot->group.subscribed_topics();
  }
  std::vector<storage::record_spec> tombstones;
  std::vector<size_t> deleted;
  for (size_t i = 0; i < tps.size(); ++i) {
    if (subscribed.count(tps[i].first) != 0) {
      out[i] = group_errc::group_subscribed_to_topic;
      continue;
    }
    tombstones.push_back(offset_record(group_id, tps[i], nullptr));
    deleted.push_back(i);
  }
  if (tombstones.empty()) co_return std::pair{group_errc::ok, out};
  auto appended = co_await append(*part, std::move(tombstones));
  if (!appended.ok()) {
    for (size_t i : deleted) out[i] = appended.error();
    co_return std::pair{group_errc::ok, out};
  }
  if (!slot->gone) {
    for (size_t i : deleted) slot->group.remove_offset(tps[i]);
  }
  co_return std::pair{group_errc::ok, out};
}

std::vector<group_summary> group_coordinator::list_groups() const {
  std::vector<group_summary> out;
  for (const auto& [index, part] : partitions_) {
    if (!part->loaded) continue;
    for (const auto& [id, slot] : part->groups) {
      out.push_back({id, slot->group.protocol_type(), slot->group.state()});
    }
  }
  return out;
}

std::vector<group_report> group_coordinator::report() const {
  std::vector<group_report> out;
  for (const auto& [index, part] : partitions_) {
    if (!part->loaded) continue;
    for (const auto& [id, slot] : part->groups) {
      const consumer_group& g = slot->group;
      out.push_back({id, g.state(), g.generation(), g.members().size(), g.offsets()});
    }
  }
  return out;
}

}  // namespace rill::group
