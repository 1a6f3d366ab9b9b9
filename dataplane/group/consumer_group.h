// consumer_group: one group's state machine, as Kafka's classic group
// protocol defines it (Empty, PreparingRebalance, CompletingRebalance,
// Stable, Dead), with its members, generation, chosen protocol, leader and
// committed offsets. Pure: no I/O, no clock of its own (every call takes
// now_ms on a monotonic clock), so it is driven in tests directly.
//
// Owned by the group coordinator of the __consumer_offsets partition the
// group hashes to, on that partition's shard. Requests that must wait
// (JoinGroup until the round completes, SyncGroup until the leader's
// assignments are stored) get a wait answer; the coordinator parks them
// and looks at the member's join_result or sync_result whenever the group
// changed. Assignments become visible only after the coordinator stored
// them (begin_store/finish_store), as Kafka answers a SyncGroup only once
// the group's record is committed.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "dataplane/group/group_errc.h"
#include "dataplane/group/group_records.h"

namespace rill::group {

enum class group_state : uint8_t { empty, preparing_rebalance, completing_rebalance, stable, dead };
// Kafka's names ("Empty", "PreparingRebalance", ...).
const char* group_state_name(group_state s);
// ListGroups state filters; case-insensitive, as Kafka parses them.
std::optional<group_state> parse_group_state(const std::string& name);

struct group_settings {
  int32_t min_session_timeout_ms = 6000;      // group.min.session.timeout.ms
  int32_t max_session_timeout_ms = 1800000;   // group.max.session.timeout.ms
  int32_t initial_rebalance_delay_ms = 3000;  // group.initial.rebalance.delay.ms
  int32_t members_max = 1000;                 // group.max.size
};

struct protocol {
  std::string name;
  std::string metadata;
};

struct joined_member {
  std::string member_id;
  std::optional<std::string> instance_id;
  std::string metadata;  // for the chosen protocol
};

struct join_answer {
  group_errc error = group_errc::ok;
  int32_t generation = -1;
  std::string protocol_type;
  std::optional<std::string> protocol_name;
  std::string leader;
  std::string member_id;
  std::vector<joined_member> members;  // the leader's answer only
};

struct sync_answer {
  group_errc error = group_errc::ok;
  std::string protocol_type;
  std::optional<std::string> protocol_name;
  std::string assignment;
};

struct member {
  std::string id;
  std::optional<std::string> instance_id;
  std::string client_id;
  std::string client_host;
  int32_t session_timeout_ms = 0;
  int32_t rebalance_timeout_ms = 0;
  std::vector<protocol> protocols;
  std::string assignment;
  int64_t last_heartbeat_ms = 0;
  uint64_t joined_seq = 0;  // order of joining: the first is the default leader
  bool awaiting_join = false;
  bool awaiting_sync = false;
  std::optional<join_answer> join_result;
  std::optional<sync_answer> sync_result;
  const std::string* metadata_for(const std::string& protocol_name) const;
};

struct join_request {
  std::string member_id;
  std::optional<std::string> instance_id;
  std::string client_id;
  std::string client_host;
  int32_t session_timeout_ms = 0;
  int32_t rebalance_timeout_ms = 0;
  std::string protocol_type;
  std::vector<protocol> protocols;
  // JoinGroup v4+: a dynamic member without an id is given one with
  // MEMBER_ID_REQUIRED and joins with it (KIP-394).
  bool member_id_required = false;
};

// What a join or sync does now: answer, or wait for member_id's result.
template <typename Answer>
struct step {
  std::optional<Answer> answer;
  std::string member_id;
};

struct sync_request {
  std::string member_id;
  std::optional<std::string> instance_id;
  int32_t generation = -1;
  std::optional<std::string> protocol_type;
  std::optional<std::string> protocol_name;
  std::vector<std::pair<std::string, std::string>> assignments;  // the leader's
};

struct committed_offset {
  int64_t offset = -1;
  int32_t leader_epoch = -1;
  std::string metadata;
  int64_t commit_timestamp_ms = -1;
};
using topic_partition = std::pair<std::string, int32_t>;

class consumer_group {
 public:
  // Member ids are client_id-salt-serial: the salt differs per load, so
  // ids never repeat across coordinator moves.
  consumer_group(std::string id, const group_settings& settings, uint64_t id_salt);

  const std::string& id() const { return id_; }
  group_state state() const { return state_; }
  int32_t generation() const { return generation_; }
  const std::string& protocol_type() const { return protocol_type_; }
  const std::optional<std::string>& protocol_name() const { return protocol_; }
  const std::string& leader() const { return leader_; }
  const std::map<std::string, member>& members() const { return members_; }
  member* find_member(const std::string& member_id);
  const std::map<topic_partition, committed_offset>& offsets() const { return offsets_; }
  // An Empty group without offsets can go (Dead).
  bool removable() const;

  step<join_answer> join(const join_request& r, int64_t now_ms);
  // The leader's sync in CompletingRebalance answers wait and sets
  // store_due(): the coordinator stores stored_value() and then calls
  // finish_store().
  step<sync_answer> sync(const sync_request& r, int64_t now_ms);
  group_errc heartbeat(const std::string& member_id, const std::optional<std::string>& instance_id,
                       int32_t generation, int64_t now_ms);
  group_errc leave(const std::string& member_id, const std::optional<std::string>& instance_id,
                   int64_t now_ms);
  // Expires sessions and completes a due round. True when anything a
  // waiter or the store cares about changed.
  bool tick(int64_t now_ms);

  // The group record to store: the members with their assignments (the
  // leader's pending ones while a sync waits for its store).
  bool store_due() const { return store_due_; }
  group_value stored_value(int64_t wall_now_ms) const;
  // Takes the due record for storing: call stored_value() at once, store
  // it, then finish_store() with the ticket. Only a record that carries
  // the leader's assignments moves the group to Stable.
  struct store_ticket {
    int32_t generation;
    bool carries_assignments;
  };
  store_ticket begin_store();
  void finish_store(store_ticket t, bool ok, group_errc failure, int64_t now_ms);
  // Loading: the group as its last stored record says.
  void restore(const group_value& v, int64_t now_ms);

  // OffsetCommit's checks (Kafka's order).
  group_errc validate_commit(const std::string& member_id,
                             const std::optional<std::string>& instance_id,
                             int32_t generation) const;
  void apply_offset(const topic_partition& tp, const committed_offset& o) { offsets_[tp] = o; }
  void remove_offset(const topic_partition& tp) { offsets_.erase(tp); }
  // Before deleting the group: it must be Empty.
  void mark_dead() { state_ = group_state::dead; }
  // The topics members subscribed to (consumer protocol), for OffsetDelete.
  std::set<std::string> subscribed_topics() const;

 private:
  step<join_answer> join_new_member(const join_request& r, int64_t now_ms);
  step<join_answer> join_existing_member(member& m, const join_request& r, int64_t now_ms);
  step<join_answer> rejoin_static_member(const std::string& old_id, const join_request& r,
                                         int64_t now_ms);
  group_errc check_static(const std::string& member_id,
                          const std::optional<std::string>& instance_id) const;
  bool supports(const std::string& type, const std::vector<protocol>& protocols) const;
  member& add_member(const join_request& r, const std::string& member_id, int64_t now_ms);
  // Stamps a new member's heartbeat and join order and indexes its instance id.
  member& insert_member(member m, int64_t now_ms);
  void remove_member(const std::string& member_id);
  void prepare_rebalance(int64_t now_ms);
  bool round_due(int64_t now_ms) const;
  void complete_round(int64_t now_ms);
  std::string select_protocol() const;
  join_answer answer_for(const member& m) const;
  void reset_syncs(group_errc error);
  std::string new_member_id(const std::string& client_id);

  std::string id_;
  group_settings settings_;
  uint64_t id_salt_;
  uint64_t member_serial_ = 0;
  group_state state_ = group_state::empty;
  int32_t generation_ = 0;
  std::string protocol_type_;
  std::optional<std::string> protocol_;
  std::string leader_;
  std::map<std::string, member> members_;
  std::map<std::string, std::string> static_members_;  // instance id -> member id
  std::map<std::string, int64_t> pending_members_;     // ids given out, with their expiry
  uint64_t join_seq_ = 0;
  int64_t round_deadline_ms_ = 0;
  int64_t round_not_before_ms_ = 0;
  bool initial_round_ = false;
  // The leader's assignments waiting to be stored, and whether they are.
  std::map<std::string, std::string> pending_assignments_;
  bool assignments_ready_ = false;
  bool store_due_ = false;
  std::map<topic_partition, committed_offset> offsets_;
};

}  // namespace rill::group
