// The consumer-group APIs, each described once (see field_io.h) from
// Kafka's message schemas: FindCoordinator (10) v0-4, JoinGroup (11) v0-9,
// SyncGroup (14) v0-5, Heartbeat (12) v0-4, LeaveGroup (13) v0-5,
// OffsetCommit (8) v0-8, OffsetFetch (9) v0-8, ListGroups (16) v0-4,
// DescribeGroups (15) v0-5, DeleteGroups (42) v0-2, OffsetDelete (47) v0.
// A field read at a version that lacks it keeps its default.
#pragma once

#include <climits>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "dataplane/kafka/messages/field_io.h"

namespace rill::kafka {

// ---- FindCoordinator ----
struct find_coordinator_request {
  std::string key;  // v0-3
  int8_t key_type = 0;
  std::vector<std::string> coordinator_keys;  // v4+
};
struct coordinator_answer {
  std::string key;
  int32_t node_id = -1;
  std::string host;
  int32_t port = -1;
  int16_t error = 0;
  std::optional<std::string> error_message;
};
struct find_coordinator_response {
  int32_t throttle_time_ms = 0;
  coordinator_answer single;                // v0-3
  std::vector<coordinator_answer> batched;  // v4+
};

template <typename IO, typename M>
void describe(IO& io,
              M& m) requires std::is_same_v<std::remove_const_t<M>, find_coordinator_request> {
  if (io.version() <= 3) io.string(m.key);
  if (io.version() >= 1) io.i8(m.key_type);
  if (io.version() >= 4) io.string_array(m.coordinator_keys);
  io.tagged_fields();
}

template <typename IO, typename M>
void describe(IO& io,
              M& m) requires std::is_same_v<std::remove_const_t<M>, find_coordinator_response> {
  if (io.version() >= 1) io.i32(m.throttle_time_ms);
  if (io.version() <= 3) {
    io.i16(m.single.error);
    if (io.version() >= 1) io.nullable_string(m.single.error_message);
    io.i32(m.single.node_id);
    io.string(m.single.host);
    io.i32(m.single.port);
  } else {
    io.array(m.batched, [](IO& io, auto& c) {
      io.string(c.key);
      io.i32(c.node_id);
      io.string(c.host);
      io.i32(c.port);
      io.i16(c.error);
      io.nullable_string(c.error_message);
      io.tagged_fields();
    });
  }
  io.tagged_fields();
}

// ---- JoinGroup ----
struct group_protocol {
  std::string name;
  std::string metadata;
};
struct join_group_request {
  std::string group_id;
  int32_t session_timeout_ms = 0;
  int32_t rebalance_timeout_ms = -1;  // v1+; else the session timeout
  std::string member_id;
  std::optional<std::string> group_instance_id;  // v5+
  std::string protocol_type;
  std::vector<group_protocol> protocols;
  std::optional<std::string> reason;  // v8+
};
struct join_group_member {
  std::string member_id;
  std::optional<std::string> group_instance_id;  // v5+
  std::string metadata;
};
struct join_group_response {
  int32_t throttle_time_ms = 0;
  int16_t error = 0;
  int32_t generation_id = -1;
  std::optional<std::string> protocol_type;  // v7+
  std::optional<std::string> protocol_name;  // nullable v7+
  std::string leader;
  bool skip_assignment = false;  // v9+
  std::string member_id;
  std::vector<join_group_member> members;
};

template <typename IO, typename M>
void describe(IO& io, M& m) requires std::is_same_v<std::remove_const_t<M>, join_group_request> {
  io.string(m.group_id);
  io.i32(m.session_timeout_ms);
  if (io.version() >= 1) io.i32(m.rebalance_timeout_ms);
  io.string(m.member_id);
  if (io.version() >= 5) io.nullable_string(m.group_instance_id);
  io.string(m.protocol_type);
  io.array(m.protocols, [](IO& io, auto& p) {
    io.string(p.name);
    io.bytes(p.metadata);
    io.tagged_fields();
  });
  if (io.version() >= 8) io.nullable_string(m.reason);
  io.tagged_fields();
}

template <typename IO, typename M>
void describe(IO& io, M& m) requires std::is_same_v<std::remove_const_t<M>, join_group_response> {
  if (io.version() >= 2) io.i32(m.throttle_time_ms);
  io.i16(m.error);
  io.i32(m.generation_id);
  if (io.version() >= 7) {
    io.nullable_string(m.protocol_type);
    io.nullable_string(m.protocol_name);
  } else {
    // Before v7 the name is not nullable: an empty string stands for none.
    if constexpr (IO::reading) {
      std::string name;
      io.string(name);
      m.protocol_name = std::move(name);
    } else {
      io.string(m.protocol_name.value_or(std::string()));
    }
  }
  io.string(m.leader);
  if (io.version() >= 9) io.boolean(m.skip_assignment);
  io.string(m.member_id);
  io.array(m.members, [](IO& io, auto& member) {
    io.string(member.member_id);
    if (io.version() >= 5) io.nullable_string(member.group_instance_id);
    io.bytes(member.metadata);
    io.tagged_fields();
  });
  io.tagged_fields();
}

// ---- SyncGroup ----
struct sync_group_assignment {
  std::string member_id;
  std::string assignment;
};
struct sync_group_request {
  std::string group_id;
  int32_t generation_id = -1;
  std::string member_id;
  std::optional<std::string> group_instance_id;  // v3+
  std::optional<std::string> protocol_type;      // v5+
  std::optional<std::string> protocol_name;      // v5+
  std::vector<sync_group_assignment> assignments;
};
struct sync_group_response {
  int32_t throttle_time_ms = 0;
  int16_t error = 0;
  std::optional<std::string> protocol_type;  // v5+
  std::optional<std::string> protocol_name;  // v5+
  std::string assignment;
};

template <typename IO, typename M>
void describe(IO& io, M& m) requires std::is_same_v<std::remove_const_t<M>, sync_group_request> {
  io.string(m.group_id);
  io.i32(m.generation_id);
  io.string(m.member_id);
  if (io.version() >= 3) io.nullable_string(m.group_instance_id);
  if (io.version() >= 5) {
    io.nullable_string(m.protocol_type);
    io.nullable_string(m.protocol_name);
  }
  io.array(m.assignments, [](IO& io, auto& a) {
    io.string(a.member_id);
    io.bytes(a.assignment);
    io.tagged_fields();
  });
  io.tagged_fields();
}

template <typename IO, typename M>
void describe(IO& io, M& m) requires std::is_same_v<std::remove_const_t<M>, sync_group_response> {
  if (io.version() >= 1) io.i32(m.throttle_time_ms);
  io.i16(m.error);
  if (io.version() >= 5) {
    io.nullable_string(m.protocol_type);
    io.nullable_string(m.protocol_name);
  }
  io.bytes(m.assignment);
  io.tagged_fields();
}

// ---- Heartbeat ----
struct heartbeat_request {
  std::string group_id;
  int32_t generation_id = -1;
  std::string member_id;
  std::optional<std::string> group_instance_id;  // v3+
};
struct heartbeat_response {
  int32_t throttle_time_ms = 0;
  int16_t error = 0;
};

template <typename IO, typename M>
void describe(IO& io, M& m) requires std::is_same_v<std::remove_const_t<M>, heartbeat_request> {
  io.string(m.group_id);
  io.i32(m.generation_id);
  io.string(m.member_id);
  if (io.version() >= 3) io.nullable_string(m.group_instance_id);
  io.tagged_fields();
}

template <typename IO, typename M>
void describe(IO& io, M& m) requires std::is_same_v<std::remove_const_t<M>, heartbeat_response> {
  if (io.version() >= 1) io.i32(m.throttle_time_ms);
  io.i16(m.error);
  io.tagged_fields();
}

// ---- LeaveGroup ----
struct leaving_member {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::optional<std::string> reason;  // v5+
  int16_t error = 0;                  // response only
};
struct leave_group_request {
  std::string group_id;
  std::string member_id;                // v0-2
  std::vector<leaving_member> members;  // v3+
};
struct leave_group_response {
  int32_t throttle_time_ms = 0;
  int16_t error = 0;
  std::vector<leaving_member> members;  // v3+
};

template <typename IO, typename M>
void describe(IO& io, M& m) requires std::is_same_v<std::remove_const_t<M>, leave_group_request> {
  io.string(m.group_id);
  if (io.version() <= 2) {
    io.string(m.member_id);
  } else {
    io.array(m.members, [](IO& io, auto& member) {
      io.string(member.member_id);
      io.nullable_string(member.group_instance_id);
      if (io.version() >= 5) io.nullable_string(member.reason);
      io.tagged_fields();
    });
  }
  io.tagged_fields();
}

template <typename IO, typename M>
void describe(IO& io, M& m) requires std::is_same_v<std::remove_const_t<M>, leave_group_response> {
  if (io.version() >= 1) io.i32(m.throttle_time_ms);
  io.i16(m.error);
  if (io.version() >= 3) {
    io.array(m.members, [](IO& io, auto& member) {
      io.string(member.member_id);
      io.nullable_string(member.group_instance_id);
      io.i16(member.error);
      io.tagged_fields();
    });
  }
  io.tagged_fields();
}

// ---- OffsetCommit ----
struct offset_commit_partition {
  int32_t index = 0;
  int64_t committed_offset = -1;
  int32_t committed_leader_epoch = -1;  // v6+
  int64_t commit_timestamp = -1;        // v1 only
  std::optional<std::string> committed_metadata;
};
struct offset_commit_topic {
  std::string name;
  std::vector<offset_commit_partition> partitions;
};
struct offset_commit_request {
  std::string group_id;
  int32_t generation_id = -1;  // v1+
  std::string member_id;       // v1+
  std::optional<std::string> group_instance_id;
  int64_t retention_time_ms = -1;  // v2-4
  std::vector<offset_commit_topic> topics;
};
struct partition_error {
  int32_t index = 0;
  int16_t error = 0;
};
struct topic_partition_errors {
  std::string name;
  std::vector<partition_error> partitions;
};
struct offset_commit_response {
  int32_t throttle_time_ms = 0;  // v3+
  std::vector<topic_partition_errors> topics;
};

template <typename IO, typename M>
void describe(IO& io, M& m) requires std::is_same_v<std::remove_const_t<M>, offset_commit_request> {
  io.string(m.group_id);
  if (io.version() >= 1) {
    io.i32(m.generation_id);
    io.string(m.member_id);
  }
  if (io.version() >= 7) io.nullable_string(m.group_instance_id);
  if (io.version() >= 2 && io.version() <= 4) io.i64(m.retention_time_ms);
  io.array(m.topics, [](IO& io, auto& t) {
    io.string(t.name);
    io.array(t.partitions, [](IO& io, auto& p) {
      io.i32(p.index);
      io.i64(p.committed_offset);
      if (io.version() >= 6) io.i32(p.committed_leader_epoch);
      if (io.version() == 1) io.i64(p.commit_timestamp);
      io.nullable_string(p.committed_metadata);
      io.tagged_fields();
    });
    io.tagged_fields();
  });
  io.tagged_fields();
}

// The {topics [name, partitions [index, error]]} shape OffsetCommit and
// OffsetDelete answer with.
template <typename IO, typename T>
void describe_partition_errors(IO& io, T& topics) {
  io.array(topics, [](IO& io, auto& t) {
    io.string(t.name);
    io.array(t.partitions, [](IO& io, auto& p) {
      io.i32(p.index);
      io.i16(p.error);
      io.tagged_fields();
    });
    io.tagged_fields();
  });
}

template <typename IO, typename M>
void describe(IO& io,
              M& m) requires std::is_same_v<std::remove_const_t<M>, offset_commit_response> {
  if (io.version() >= 3) io.i32(m.throttle_time_ms);
  describe_partition_errors(io, m.topics);
  io.tagged_fields();
}

// ---- OffsetFetch ----
struct offset_fetch_topic {
  std::string name;
  std::vector<int32_t> partition_indexes;
};
struct offset_fetch_group {
  std::string group_id;
  std::optional<std::vector<offset_fetch_topic>> topics;  // null: every committed offset
};
struct offset_fetch_request {
  // v0-7 carry one group; decoding puts it into groups[0] (see the .cc).
  std::string group_id;
  std::optional<std::vector<offset_fetch_topic>> topics;
  std::vector<offset_fetch_group> groups;  // v8+
  bool require_stable = false;             // v7+
};
struct offset_fetch_partition_result {
  int32_t index = 0;
  int64_t committed_offset = -1;
  int32_t committed_leader_epoch = -1;  // v5+
  std::optional<std::string> metadata;
  int16_t error = 0;
};
struct offset_fetch_topic_result {
  std::string name;
  std::vector<offset_fetch_partition_result> partitions;
};
struct offset_fetch_group_result {
  std::string group_id;
  std::vector<offset_fetch_topic_result> topics;
  int16_t error = 0;
};
struct offset_fetch_response {
  int32_t throttle_time_ms = 0;
  // v0-7 answer one group: groups[0]'s topics and error; v8+ all of them.
  std::vector<offset_fetch_group_result> groups;
};

template <typename IO, typename M>
void describe(IO& io, M& m) requires std::is_same_v<std::remove_const_t<M>, offset_fetch_request> {
  auto topic = [](IO& io, auto& t) {
    io.string(t.name);
    io.int32_array(t.partition_indexes);
    io.tagged_fields();
  };
  if (io.version() <= 7) {
    io.string(m.group_id);
    if (io.version() >= 2) {
      io.nullable_array(m.topics, topic);
    } else if constexpr (IO::reading) {
      m.topics.emplace();
      io.array(*m.topics, topic);
    } else {
      io.array(m.topics.value_or(std::vector<offset_fetch_topic>{}), topic);
    }
  } else {
    io.array(m.groups, [&](IO& io, auto& g) {
      io.string(g.group_id);
      io.nullable_array(g.topics, topic);
      io.tagged_fields();
    });
  }
  if (io.version() >= 7) io.boolean(m.require_stable);
  io.tagged_fields();
}

template <typename IO, typename M>
void describe(IO& io, M& m) requires std::is_same_v<std::remove_const_t<M>, offset_fetch_response> {
  auto topic = [](IO& io, auto& t) {
    io.string(t.name);
    io.array(t.partitions, [](IO& io, auto& p) {
      io.i32(p.index);
      io.i64(p.committed_offset);
      if (io.version() >= 5) io.i32(p.committed_leader_epoch);
      io.nullable_string(p.metadata);
      io.i16(p.error);
      io.tagged_fields();
    });
    io.tagged_fields();
  };
  if (io.version() >= 3) io.i32(m.throttle_time_ms);
  if (io.version() <= 7) {
    if constexpr (IO::reading) {
      if (m.groups.empty()) m.groups.emplace_back();
    }
    auto& g = m.groups.at(0);
    io.array(g.topics, topic);
    if (io.version() >= 2) io.i16(g.error);
  } else {
    io.array(m.groups, [&](IO& io, auto& g) {
      io.string(g.group_id);
      io.array(g.topics, topic);
      io.i16(g.error);
      io.tagged_fields();
    });
  }
  io.tagged_fields();
}

// ---- ListGroups ----
struct list_groups_request {
  std::vector<std::string> states_filter;  // v4+
};
struct listed_group {
  std::string group_id;
  std::string protocol_type;
  std::string group_state;  // v4+
};
struct list_groups_response {
  int32_t throttle_time_ms = 0;
  int16_t error = 0;
  std::vector<listed_group> groups;
};

template <typename IO, typename M>
void describe(IO& io, M& m) requires std::is_same_v<std::remove_const_t<M>, list_groups_request> {
  if (io.version() >= 4) io.string_array(m.states_filter);
  io.tagged_fields();
}

template <typename IO, typename M>
void describe(IO& io, M& m) requires std::is_same_v<std::remove_const_t<M>, list_groups_response> {
  if (io.version() >= 1) io.i32(m.throttle_time_ms);
  io.i16(m.error);
  io.array(m.groups, [](IO& io, auto& g) {
    io.string(g.group_id);
    io.string(g.protocol_type);
    if (io.version() >= 4) io.string(g.group_state);
    io.tagged_fields();
  });
  io.tagged_fields();
}

// ---- DescribeGroups ----
struct describe_groups_request {
  std::vector<std::string> groups;
  bool include_authorized_operations = false;  // v3+
};
struct described_member {
  std::string member_id;
  std::optional<std::string> group_instance_id;  // v4+
  std::string client_id;
  std::string client_host;
  std::string metadata;
  std::string assignment;
};
struct described_group {
  int16_t error = 0;
  std::string group_id;
  std::string group_state;
  std::string protocol_type;
  std::string protocol_data;
  std::vector<described_member> members;
  int32_t authorized_operations = INT32_MIN;  // v3+: not computed
};
struct describe_groups_response {
  int32_t throttle_time_ms = 0;
  std::vector<described_group> groups;
};

template <typename IO, typename M>
void describe(IO& io,
              M& m) requires std::is_same_v<std::remove_const_t<M>, describe_groups_request> {
  io.string_array(m.groups);
  if (io.version() >= 3) io.boolean(m.include_authorized_operations);
  io.tagged_fields();
}

template <typename IO, typename M>
void describe(IO& io,
              M& m) requires std::is_same_v<std::remove_const_t<M>, describe_groups_response> {
  if (io.version() >= 1) io.i32(m.throttle_time_ms);
  io.array(m.groups, [](IO& io, auto& g) {
    io.i16(g.error);
    io.string(g.group_id);
    io.string(g.group_state);
    io.string(g.protocol_type);
    io.string(g.protocol_data);
    io.array(g.members, [](IO& io, auto& member) {
      io.string(member.member_id);
      if (io.version() >= 4) io.nullable_string(member.group_instance_id);
      io.string(member.client_id);
      io.string(member.client_host);
      io.bytes(member.metadata);
      io.bytes(member.assignment);
      io.tagged_fields();
    });
    if (io.version() >= 3) io.i32(g.authorized_operations);
    io.tagged_fields();
  });
  io.tagged_fields();
}

// ---- DeleteGroups ----
struct delete_groups_request {
  std::vector<std::string> groups;
};
struct group_error {
  std::string group_id;
  int16_t error = 0;
};
struct delete_groups_response {
  int32_t throttle_time_ms = 0;
  std::vector<group_error> results;
};

template <typename IO, typename M>
void describe(IO& io, M& m) requires std::is_same_v<std::remove_const_t<M>, delete_groups_request> {
  io.string_array(m.groups);
  io.tagged_fields();
}

template <typename IO, typename M>
void describe(IO& io,
              M& m) requires std::is_same_v<std::remove_const_t<M>, delete_groups_response> {
  io.i32(m.throttle_time_ms);
  io.array(m.results, [](IO& io, auto& r) {
    io.string(r.group_id);
    io.i16(r.error);
    io.tagged_fields();
  });
  io.tagged_fields();
}

// ---- OffsetDelete (never flexible) ----
struct offset_delete_topic {
  std::string name;
  std::vector<int32_t> partitions;
};
struct offset_delete_request {
  std::string group_id;
  std::vector<offset_delete_topic> topics;
};
struct offset_delete_response {
  int16_t error = 0;
  int32_t throttle_time_ms = 0;
  std::vector<topic_partition_errors> topics;
};

template <typename IO, typename M>
void describe(IO& io, M& m) requires std::is_same_v<std::remove_const_t<M>, offset_delete_request> {
  io.string(m.group_id);
  io.array(m.topics, [](IO& io, auto& t) {
    io.string(t.name);
    io.array(t.partitions, [](IO& io, auto& p) { io.i32(p); });
  });
}

template <typename IO, typename M>
void describe(IO& io,
              M& m) requires std::is_same_v<std::remove_const_t<M>, offset_delete_response> {
  io.i16(m.error);
  io.i32(m.throttle_time_ms);
  describe_partition_errors(io, m.topics);
}

// OffsetFetch v0-7 name one group at the top level; this moves it into
// groups so that handlers see one shape.
void normalize_offset_fetch(offset_fetch_request* r, int16_t version);

}  // namespace rill::kafka
