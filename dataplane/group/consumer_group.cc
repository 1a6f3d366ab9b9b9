#include "dataplane/group/consumer_group.h"

#include <algorithm>
#include <cctype>
#include <cinttypes>
#include <cstdio>

#include "base/assert.h"
#include "base/wire.h"

namespace rill::group {
namespace {

bool same(const std::vector<protocol>& a, const std::vector<protocol>& b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](const protocol& x, const protocol& y) {
           return x.name == y.name && x.metadata == y.metadata;
         });
}

}  // namespace

const char* group_state_name(group_state s) {
  switch (s) {
    case group_state::empty:
      return "Empty";
    case group_state::preparing_rebalance:
      return "PreparingRebalance";
    case group_state::completing_rebalance:
      return "CompletingRebalance";
    case group_state::stable:
      return "Stable";
    case group_state::dead:
      return "Dead";
  }
  return "Unknown";
}

std::optional<group_state> parse_group_state(const std::string& name) {
  std::string lower;
  for (char c : name)
    lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  for (group_state s :
       {group_state::empty, group_state::preparing_rebalance, group_state::completing_rebalance,
        group_state::stable, group_state::dead}) {
    std::string n = group_state_name(s);
    std::transform(n.begin(), n.end(), n.begin(), [](unsigned char c) { return std::tolower(c); });
    if (n == lower) return s;
  }
  return std::nullopt;
}

const char* group_errc_name(group_errc e) {
  switch (e) {
    case group_errc::ok:
      return "ok";
    case group_errc::unstable_offset_commit:
      return "unstable offset commit";
    case group_errc::producer_fenced:
      return "producer fenced";
    case group_errc::not_coordinator:
      return "not coordinator";
    case group_errc::coordinator_load_in_progress:
      return "coordinator load in progress";
    case group_errc::coordinator_not_available:
      return "coordinator not available";
    case group_errc::invalid_group_id:
      return "invalid group id";
    case group_errc::unknown_member_id:
      return "unknown member id";
    case group_errc::illegal_generation:
      return "illegal generation";
    case group_errc::rebalance_in_progress:
      return "rebalance in progress";
    case group_errc::inconsistent_group_protocol:
      return "inconsistent group protocol";
    case group_errc::member_id_required:
      return "member id required";
    case group_errc::fenced_instance_id:
      return "fenced instance id";
    case group_errc::invalid_session_timeout:
      return "invalid session timeout";
    case group_errc::group_max_size_reached:
      return "group max size reached";
    case group_errc::non_empty_group:
      return "non-empty group";
    case group_errc::group_id_not_found:
      return "group id not found";
    case group_errc::group_subscribed_to_topic:
      return "group subscribed to topic";
    case group_errc::offset_metadata_too_large:
      return "offset metadata too large";
    case group_errc::invalid_commit_offset_size:
      return "invalid commit offset size";
    case group_errc::unknown_topic_or_partition:
      return "unknown topic or partition";
    case group_errc::unknown_server_error:
      return "unknown server error";
  }
  return "unknown";
}

const std::string* member::metadata_for(const std::string& protocol_name) const {
  for (const protocol& p : protocols) {
    if (p.name == protocol_name) return &p.metadata;
  }
  return nullptr;
}

consumer_group::consumer_group(std::string id, const group_settings& settings, uint64_t id_salt)
    : id_(std::move(id)), settings_(settings), id_salt_(id_salt) {}

member* consumer_group::find_member(const std::string& member_id) {
  auto it = members_.find(member_id);
  return it == members_.end() ? nullptr : &it->second;
}

bool consumer_group::removable() const {
  return state_ == group_state::dead || (state_ == group_state::empty && offsets_.empty() &&
                                         members_.empty() && pending_members_.empty());
}

std::string consumer_group::new_member_id(const std::string& client_id) {
  char suffix[48];
  std::snprintf(suffix, sizeof(suffix), "-%016" PRIx64 "-%" PRIu64, id_salt_, ++member_serial_);
  return client_id + suffix;
}

group_errc consumer_group::check_static(const std::string& member_id,
                                        const std::optional<std::string>& instance_id) const {
  if (!instance_id) return group_errc::ok;
  auto it = static_members_.find(*instance_id);
  if (it != static_members_.end() && it->second != member_id) return group_errc::fenced_instance_id;
  return group_errc::ok;
}

bool consumer_group::supports(const std::string& type,
                              const std::vector<protocol>& protocols) const {
  if (type.empty() || protocols.empty()) return false;
  if (members_.empty()) return true;
  if (type != protocol_type_) return false;
  // At least one of them must be supported by every member.
  for (const protocol& p : protocols) {
    bool everyone = std::all_of(members_.begin(), members_.end(), [&](const auto& kv) {
      return kv.second.metadata_for(p.name) != nullptr;
    });
    if (everyone) return true;
  }
  return false;
}

step<join_answer> consumer_group::join(const join_request& r, int64_t now_ms) {
  auto refuse = [&](group_errc e) {
    join_answer a;
    a.error = e;
    a.member_id = r.member_id;
    return step<join_answer>{a, ""};
  };
  if (r.session_timeout_ms < settings_.min_session_timeout_ms ||
      r.session_timeout_ms > settings_.max_session_timeout_ms) {
    return refuse(group_errc::invalid_session_timeout);
  }
  if (state_ == group_state::dead) return refuse(group_errc::coordinator_not_available);
  if (r.member_id.empty()) {
    if (r.instance_id) {
      auto it = static_members_.find(*r.instance_id);
      if (it != static_members_.end()) return rejoin_static_member(it->second, r, now_ms);
    }
    if (!supports(r.protocol_type, r.protocols)) {
      return refuse(group_errc::inconsistent_group_protocol);
    }
    return join_new_member(r, now_ms);
  }
  if (group_errc e = check_static(r.member_id, r.instance_id); e != group_errc::ok) {
    return refuse(e);
  }
  auto pending = pending_members_.find(r.member_id);
  if (pending != pending_members_.end()) {
    if (!supports(r.protocol_type, r.protocols)) {
      return refuse(group_errc::inconsistent_group_protocol);
    }
    pending_members_.erase(pending);
    return join_new_member(r, now_ms);
  }
  member* m = find_member(r.member_id);
  if (m == nullptr) return refuse(group_errc::unknown_member_id);
  // An existing member's protocols must still fit the others'.
  bool alone = members_.size() == 1;
  if (!alone && !supports(r.protocol_type, r.protocols)) {
    return refuse(group_errc::inconsistent_group_protocol);
  }
  return join_existing_member(*m, r, now_ms);
}

step<join_answer> consumer_group::join_new_member(const join_request& r, int64_t now_ms) {
  if (static_cast<int32_t>(members_.size()) >= settings_.members_max) {
    join_answer a;
    a.error = group_errc::group_max_size_reached;
    return {a, ""};
  }
  std::string member_id = r.member_id.empty() ? new_member_id(r.client_id) : r.member_id;
  if (r.member_id.empty() && r.member_id_required && !r.instance_id) {
    // KIP-394: the member learns its id first and joins with it.
    pending_members_[member_id] = now_ms + r.session_timeout_ms;
    join_answer a;
    a.error = group_errc::member_id_required;
    a.member_id = member_id;
    return {a, ""};
  }
  member& m = add_member(r, member_id, now_ms);
  m.awaiting_join = true;
  if (state_ == group_state::preparing_rebalance) {
    if (initial_round_) {
      round_not_before_ms_ =
          std::min(round_deadline_ms_, now_ms + settings_.initial_rebalance_delay_ms);
    }
    round_deadline_ms_ = std::max(round_deadline_ms_, now_ms + r.rebalance_timeout_ms);
  } else {
    prepare_rebalance(now_ms);
  }
  if (round_due(now_ms)) complete_round(now_ms);
  return {std::nullopt, member_id};
}

step<join_answer> consumer_group::join_existing_member(member& m, const join_request& r,
                                                       int64_t now_ms) {
  bool same_protocols = same(m.protocols, r.protocols);
  m.session_timeout_ms = r.session_timeout_ms;
  m.rebalance_timeout_ms = r.rebalance_timeout_ms;
  m.client_id = r.client_id;
  m.client_host = r.client_host;
  m.last_heartbeat_ms = now_ms;
  // A follower that lost its answer gets the current generation again.
  bool answer_now = same_protocols && (state_ == group_state::completing_rebalance ||
                                       (state_ == group_state::stable && m.id != leader_));
  if (answer_now) return {answer_for(m), ""};
  m.protocols = r.protocols;
  m.awaiting_join = true;
  m.join_result.reset();
  if (state_ != group_state::preparing_rebalance) prepare_rebalance(now_ms);
  round_deadline_ms_ = std::max(round_deadline_ms_, now_ms + r.rebalance_timeout_ms);
  if (round_due(now_ms)) complete_round(now_ms);
  return {std::nullopt, m.id};
}

step<join_answer> consumer_group::rejoin_static_member(const std::string& old_id,
                                                       const join_request& r, int64_t now_ms) {
  // KIP-345: a restarted static member takes over its old place under a
  // new id; the old id is fenced.
  member* old = find_member(old_id);
  RILL_ASSERT(old != nullptr, "static member %s of group %s has no member", old_id.c_str(),
              id_.c_str());
  member moved = *old;
  bool was_leader = leader_ == old_id;
  // What matters is that it still speaks the group's protocol: its
  // metadata may differ (a consumer that restarted owns no partitions yet).
  bool keeps_protocol =
      protocol_ && std::any_of(r.protocols.begin(), r.protocols.end(),
                               [&](const protocol& p) { return p.name == *protocol_; });
  members_.erase(old_id);
  moved.id = new_member_id(r.client_id);
  moved.join_result.reset();
  moved.sync_result.reset();
  moved.awaiting_join = false;
  moved.awaiting_sync = false;
  static_members_[*r.instance_id] = moved.id;
  if (was_leader) leader_ = moved.id;
  member& m = members_.emplace(moved.id, std::move(moved)).first->second;
  // Kafka 3.x: in Stable, a rejoin that leaves the group's protocol as it
  // is triggers no rebalance, the leader's included (it gets the member
  // list again; its SyncGroup in Stable is answered with its assignment).
  if (state_ == group_state::stable && keeps_protocol) {
    m.protocols = r.protocols;
    m.session_timeout_ms = r.session_timeout_ms;
    m.rebalance_timeout_ms = r.rebalance_timeout_ms;
    m.last_heartbeat_ms = now_ms;
    store_due_ = true;  // the record must name the new id
    return {answer_for(m), ""};
  }
  return join_existing_member(m, r, now_ms);
}

member& consumer_group::add_member(const join_request& r, const std::string& member_id,
                                   int64_t now_ms) {
  if (members_.empty()) protocol_type_ = r.protocol_type;
  return insert_member({.id = member_id,
                        .instance_id = r.instance_id,
                        .client_id = r.client_id,
                        .client_host = r.client_host,
                        .session_timeout_ms = r.session_timeout_ms,
                        .rebalance_timeout_ms = r.rebalance_timeout_ms,
                        .protocols = r.protocols},
                       now_ms);
}

member& consumer_group::insert_member(member m, int64_t now_ms) {
  RILL_ASSERT(members_.count(m.id) == 0, "member %s joins group %s twice", m.id.c_str(),
              id_.c_str());
  m.last_heartbeat_ms = now_ms;
  m.joined_seq = ++join_seq_;
  if (m.instance_id) static_members_[*m.instance_id] = m.id;
  std::string id = m.id;
  return members_.emplace(std::move(id), std::move(m)).first->second;
}

void consumer_group::remove_member(const std::string& member_id) {
  auto it = members_.find(member_id);
  RILL_ASSERT(it != members_.end(), "removing %s, not a member of %s", member_id.c_str(),
              id_.c_str());
  if (it->second.instance_id) static_members_.erase(*it->second.instance_id);
  members_.erase(it);
  if (leader_ == member_id) leader_.clear();
}

void consumer_group::reset_syncs(group_errc error) {
  for (auto& [id, m] : members_) {
    if (m.awaiting_sync) {
      m.awaiting_sync = false;
      m.sync_result = sync_answer{.error = error};
    }
  }
  pending_assignments_.clear();
  assignments_ready_ = false;
}

void consumer_group::prepare_rebalance(int64_t now_ms) {
  if (state_ == group_state::completing_rebalance) reset_syncs(group_errc::rebalance_in_progress);
  initial_round_ = state_ == group_state::empty;
  state_ = group_state::preparing_rebalance;
  int32_t longest = 0;
  for (const auto& [id, m] : members_) longest = std::max(longest, m.rebalance_timeout_ms);
  round_deadline_ms_ = now_ms + longest;
  round_not_before_ms_ =
      initial_round_ ? std::min(round_deadline_ms_, now_ms + settings_.initial_rebalance_delay_ms)
                     : now_ms;
}

bool consumer_group::round_due(int64_t now_ms) const {
  if (state_ != group_state::preparing_rebalance) return false;
  if (now_ms >= round_deadline_ms_) return true;
  bool all_joined = std::all_of(members_.begin(), members_.end(),
                                [](const auto& kv) { return kv.second.awaiting_join; });
  return all_joined && pending_members_.empty() && now_ms >= round_not_before_ms_;
}

std::string consumer_group::select_protocol() const {
  RILL_ASSERT(!members_.empty(), "selecting a protocol for empty group %s", id_.c_str());
  const member* first = nullptr;
  for (const auto& [id, m] : members_) {
    if (first == nullptr || m.joined_seq < first->joined_seq) first = &m;
  }
  std::vector<std::string> candidates;
  for (const protocol& p : first->protocols) {
    bool everyone = std::all_of(members_.begin(), members_.end(), [&](const auto& kv) {
      return kv.second.metadata_for(p.name) != nullptr;
    });
    if (everyone) candidates.push_back(p.name);
  }
  RILL_ASSERT(!candidates.empty(), "members of group %s share no protocol", id_.c_str());
  // Each member votes for its most preferred candidate; the first
  // candidate (in the oldest member's order) wins ties.
  std::map<std::string, int> votes;
  for (const auto& [id, m] : members_) {
    for (const protocol& p : m.protocols) {
      if (std::find(candidates.begin(), candidates.end(), p.name) != candidates.end()) {
        ++votes[p.name];
        break;
      }
    }
  }
  std::string best = candidates.front();
  for (const std::string& c : candidates) {
    if (votes[c] > votes[best]) best = c;
  }
  return best;
}

join_answer consumer_group::answer_for(const member& m) const {
  join_answer a;
  a.generation = generation_;
  a.protocol_type = protocol_type_;
  a.protocol_name = protocol_;
  a.leader = leader_;
  a.member_id = m.id;
  if (m.id == leader_ && protocol_) {
    for (const auto& [id, other] : members_) {
      const std::string* meta = other.metadata_for(*protocol_);
      a.members.push_back({id, other.instance_id, meta ? *meta : std::string()});
    }
  }
  return a;
}

void consumer_group::complete_round(int64_t now_ms) {
  RILL_ASSERT(state_ == group_state::preparing_rebalance, "group %s completes a round in %s",
              id_.c_str(), group_state_name(state_));
  std::vector<std::string> gone;
  for (const auto& [id, m] : members_) {
    if (!m.awaiting_join) gone.push_back(id);
  }
  for (const std::string& id : gone) remove_member(id);
  pending_members_.clear();
  ++generation_;
  initial_round_ = false;
  if (members_.empty()) {
    store_due_ = true;  // the record of an empty group: no members, the new generation
    state_ = group_state::empty;
    protocol_.reset();
    leader_.clear();
    return;
  }
  protocol_ = select_protocol();
  if (leader_.empty()) {
    const member* first = nullptr;
    for (const auto& [id, m] : members_) {
      if (first == nullptr || m.joined_seq < first->joined_seq) first = &m;
    }
    leader_ = first->id;
  }
  state_ = group_state::completing_rebalance;
  for (auto& [id, m] : members_) {
    m.awaiting_join = false;
    m.last_heartbeat_ms = now_ms;
    m.join_result = answer_for(m);
  }
  RILL_ASSERT(members_.count(leader_) == 1, "group %s leader %s is not a member", id_.c_str(),
              leader_.c_str());
}

step<sync_answer> consumer_group::sync(const sync_request& r, int64_t now_ms) {
  auto refuse = [](group_errc e) { return step<sync_answer>{sync_answer{.error = e}, ""}; };
  if (state_ == group_state::dead) return refuse(group_errc::coordinator_not_available);
  if (group_errc e = check_static(r.member_id, r.instance_id); e != group_errc::ok) {
    return refuse(e);
  }
  member* m = find_member(r.member_id);
  if (m == nullptr) return refuse(group_errc::unknown_member_id);
  if (r.generation != generation_) return refuse(group_errc::illegal_generation);
  if ((r.protocol_type && *r.protocol_type != protocol_type_) ||
      (r.protocol_name && *r.protocol_name != protocol_.value_or(""))) {
    return refuse(group_errc::inconsistent_group_protocol);
  }
  m->last_heartbeat_ms = now_ms;
  switch (state_) {
    case group_state::empty:
      return refuse(group_errc::unknown_member_id);
    case group_state::preparing_rebalance:
      return refuse(group_errc::rebalance_in_progress);
    case group_state::stable:
      return {sync_answer{.protocol_type = protocol_type_,
                          .protocol_name = protocol_,
                          .assignment = m->assignment},
              ""};
    case group_state::completing_rebalance:
    case group_state::dead:
      break;
  }
  m->awaiting_sync = true;
  m->sync_result.reset();
  if (r.member_id == leader_ && !assignments_ready_) {
    pending_assignments_.clear();
    for (const auto& [member_id, assignment] : r.assignments) {
      if (members_.count(member_id) != 0) pending_assignments_[member_id] = assignment;
    }
    assignments_ready_ = true;
    store_due_ = true;
  }
  return {std::nullopt, m->id};
}

consumer_group::store_ticket consumer_group::begin_store() {
  RILL_ASSERT(store_due_, "group %s stores without a due record", id_.c_str());
  store_due_ = false;
  return {generation_, state_ == group_state::completing_rebalance && assignments_ready_};
}

void consumer_group::finish_store(store_ticket t, bool ok, group_errc failure, int64_t now_ms) {
  if (!t.carries_assignments) return;
  if (state_ != group_state::completing_rebalance || t.generation != generation_ ||
      !assignments_ready_) {
    return;  // a new round began meanwhile: its own record follows
  }
  if (!ok) {
    reset_syncs(failure);
    prepare_rebalance(now_ms);
    return;
  }
  for (auto& [id, m] : members_) {
    auto it = pending_assignments_.find(id);
    m.assignment = it == pending_assignments_.end() ? std::string() : it->second;
    if (m.awaiting_sync) {
      m.awaiting_sync = false;
      m.sync_result = sync_answer{
          .protocol_type = protocol_type_, .protocol_name = protocol_, .assignment = m.assignment};
    }
    m.last_heartbeat_ms = now_ms;
  }
  pending_assignments_.clear();
  assignments_ready_ = false;
  state_ = group_state::stable;
}

group_value consumer_group::stored_value(int64_t wall_now_ms) const {
  group_value v;
  v.protocol_type = protocol_type_;
  v.generation = generation_;
  v.protocol = protocol_;
  if (!leader_.empty()) v.leader = leader_;
  v.state_timestamp_ms = wall_now_ms;
  for (const auto& [id, m] : members_) {
    stored_member s;
    s.member_id = id;
    s.group_instance_id = m.instance_id;
    s.client_id = m.client_id;
    s.client_host = m.client_host;
    s.rebalance_timeout_ms = m.rebalance_timeout_ms;
    s.session_timeout_ms = m.session_timeout_ms;
    if (protocol_) {
      if (const std::string* meta = m.metadata_for(*protocol_)) s.subscription = *meta;
    }
    auto pending = pending_assignments_.find(id);
    s.assignment = pending != pending_assignments_.end() ? pending->second : m.assignment;
    v.members.push_back(std::move(s));
  }
  return v;
}

void consumer_group::restore(const group_value& v, int64_t now_ms) {
  members_.clear();
  static_members_.clear();
  pending_members_.clear();
  protocol_type_ = v.protocol_type;
  generation_ = v.generation;
  protocol_ = v.protocol;
  leader_ = v.leader.value_or("");
  for (const stored_member& s : v.members) {
    member m{.id = s.member_id,
             .instance_id = s.group_instance_id,
             .client_id = s.client_id,
             .client_host = s.client_host,
             .session_timeout_ms = s.session_timeout_ms,
             .rebalance_timeout_ms = s.rebalance_timeout_ms,
             .assignment = s.assignment};
    if (protocol_) m.protocols.push_back({*protocol_, s.subscription});
    insert_member(std::move(m), now_ms);
  }
  // A stored group with members was Stable when stored (its assignments
  // were stored by the leader's sync); members keep heartbeating.
  state_ = members_.empty() ? group_state::empty : group_state::stable;
  if (!members_.empty() && members_.count(leader_) == 0) prepare_rebalance(now_ms);
}

group_errc consumer_group::heartbeat(const std::string& member_id,
                                     const std::optional<std::string>& instance_id,
                                     int32_t generation, int64_t now_ms) {
  if (state_ == group_state::dead) return group_errc::coordinator_not_available;
  if (group_errc e = check_static(member_id, instance_id); e != group_errc::ok) return e;
  member* m = find_member(member_id);
  if (m == nullptr || state_ == group_state::empty) return group_errc::unknown_member_id;
  if (generation != generation_) return group_errc::illegal_generation;
  m->last_heartbeat_ms = now_ms;
  if (state_ == group_state::preparing_rebalance) return group_errc::rebalance_in_progress;
  return group_errc::ok;
}

group_errc consumer_group::leave(const std::string& member_id,
                                 const std::optional<std::string>& instance_id, int64_t now_ms) {
  if (state_ == group_state::dead) return group_errc::coordinator_not_available;
  std::string id = member_id;
  if (instance_id) {
    auto it = static_members_.find(*instance_id);
    if (it == static_members_.end()) return group_errc::unknown_member_id;
    if (!member_id.empty() && it->second != member_id) return group_errc::fenced_instance_id;
    id = it->second;
  }
  if (pending_members_.erase(id) != 0) {
    if (round_due(now_ms)) complete_round(now_ms);
    return group_errc::ok;
  }
  if (find_member(id) == nullptr) return group_errc::unknown_member_id;
  remove_member(id);
  if (state_ == group_state::stable || state_ == group_state::completing_rebalance) {
    prepare_rebalance(now_ms);
  }
  if (round_due(now_ms)) complete_round(now_ms);
  return group_errc::ok;
}

bool consumer_group::tick(int64_t now_ms) {
  bool changed = false;
  for (auto it = pending_members_.begin(); it != pending_members_.end();) {
    if (it->second <= now_ms) {
      it = pending_members_.erase(it);
      changed = true;
    } else {
      ++it;
    }
  }
  std::vector<std::string> expired;
  for (const auto& [id, m] : members_) {
    // Members waiting in a JoinGroup are bounded by the round's deadline.
    if (!m.awaiting_join && now_ms - m.last_heartbeat_ms > m.session_timeout_ms) {
      expired.push_back(id);
    }
  }
  for (const std::string& id : expired) {
    remove_member(id);
    changed = true;
  }
  if (!expired.empty() &&
      (state_ == group_state::stable || state_ == group_state::completing_rebalance)) {
    prepare_rebalance(now_ms);
  }
  if (state_ == group_state::preparing_rebalance && members_.empty() && pending_members_.empty()) {
    round_deadline_ms_ = now_ms;  // nobody left to wait for
  }
  if (round_due(now_ms)) {
    complete_round(now_ms);
    changed = true;
  }
  return changed;
}

group_errc consumer_group::validate_commit(const std::string& member_id,
                                           const std::optional<std::string>& instance_id,
                                           int32_t generation) const {
  if (state_ == group_state::dead) return group_errc::coordinator_not_available;
  if (generation < 0 && state_ == group_state::empty) return group_errc::ok;  // a simple commit
  if (group_errc e = check_static(member_id, instance_id); e != group_errc::ok) return e;
  if (state_ == group_state::completing_rebalance) return group_errc::rebalance_in_progress;
  if (members_.count(member_id) == 0) return group_errc::unknown_member_id;
  if (generation != generation_) return group_errc::illegal_generation;
  return group_errc::ok;
}

std::set<std::string> consumer_group::subscribed_topics() const {
  std::set<std::string> topics;
  if (protocol_type_ != "consumer" || !protocol_) return topics;
  // ConsumerProtocolSubscription: version, topics [string], user data...
  for (const auto& [id, m] : members_) {
    const std::string* meta = m.metadata_for(*protocol_);
    if (meta == nullptr) continue;
    wire_reader in({reinterpret_cast<const uint8_t*>(meta->data()), meta->size()});
    (void)in.i16();
    int32_t n = in.array_length(false, 2);
    for (int32_t i = 0; i < n && in.ok(); ++i) topics.insert(in.string(false));
  }
  return topics;
}

}  // namespace rill::group
