// The transaction APIs (KIP-98), transcribed from Kafka's message schemas:
// AddPartitionsToTxn (v0-3), AddOffsetsToTxn (v0-3), EndTxn (v0-3),
// WriteTxnMarkers (v0-1, broker to broker) and TxnOffsetCommit (v0-3).
// Each flexible from v3 (WriteTxnMarkers from v1).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "dataplane/kafka/messages/field_io.h"
#include "dataplane/kafka/messages/group.h"

namespace rill::kafka {

struct txn_topic {
  std::string name;
  std::vector<int32_t> partitions;
};

struct add_partitions_to_txn_request {
  std::string transactional_id;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  std::vector<txn_topic> topics;
};
struct add_partitions_to_txn_response {
  int32_t throttle_time_ms = 0;
  std::vector<topic_partition_errors> results;
};

template <typename IO, typename M>
void describe(IO& io,
              M& m) requires std::is_same_v<std::remove_const_t<M>, add_partitions_to_txn_request> {
  io.string(m.transactional_id);
  io.i64(m.producer_id);
  io.i16(m.producer_epoch);
  io.array(m.topics, [](IO& io, auto& t) {
    io.string(t.name);
    io.array(t.partitions, [](IO& io, auto& p) { io.i32(p); });
    io.tagged_fields();
  });
  io.tagged_fields();
}

template <typename IO, typename M>
void describe(
    IO& io, M& m) requires std::is_same_v<std::remove_const_t<M>, add_partitions_to_txn_response> {
  io.i32(m.throttle_time_ms);
  describe_partition_errors(io, m.results);
  io.tagged_fields();
}

struct add_offsets_to_txn_request {
  std::string transactional_id;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  std::string group_id;
};

template <typename IO, typename M>
void describe(IO& io,
              M& m) requires std::is_same_v<std::remove_const_t<M>, add_offsets_to_txn_request> {
  io.string(m.transactional_id);
  io.i64(m.producer_id);
  io.i16(m.producer_epoch);
  io.string(m.group_id);
  io.tagged_fields();
}

struct end_txn_request {
  std::string transactional_id;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  bool committed = false;
};

template <typename IO, typename M>
void describe(IO& io, M& m) requires std::is_same_v<std::remove_const_t<M>, end_txn_request> {
  io.string(m.transactional_id);
  io.i64(m.producer_id);
  io.i16(m.producer_epoch);
  io.boolean(m.committed);
  io.tagged_fields();
}

// AddOffsetsToTxn and EndTxn answer with a throttle time and one error.
struct txn_error_response {
  int32_t throttle_time_ms = 0;
  int16_t error = 0;
};

template <typename IO, typename M>
void describe(IO& io, M& m) requires std::is_same_v<std::remove_const_t<M>, txn_error_response> {
  io.i32(m.throttle_time_ms);
  io.i16(m.error);
  io.tagged_fields();
}

struct txn_marker_entry {
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  bool committed = false;  // TransactionResult
  std::vector<txn_topic> topics;
  int32_t coordinator_epoch = 0;
};
struct write_txn_markers_request {
  std::vector<txn_marker_entry> markers;
};
struct txn_marker_result {
  int64_t producer_id = -1;
  std::vector<topic_partition_errors> topics;
};
struct write_txn_markers_response {
  std::vector<txn_marker_result> markers;
};

template <typename IO, typename M>
void describe(IO& io,
              M& m) requires std::is_same_v<std::remove_const_t<M>, write_txn_markers_request> {
  io.array(m.markers, [](IO& io, auto& k) {
    io.i64(k.producer_id);
    io.i16(k.producer_epoch);
    io.boolean(k.committed);
    io.array(k.topics, [](IO& io, auto& t) {
      io.string(t.name);
      io.array(t.partitions, [](IO& io, auto& p) { io.i32(p); });
      io.tagged_fields();
    });
    io.i32(k.coordinator_epoch);
    io.tagged_fields();
  });
  io.tagged_fields();
}

template <typename IO, typename M>
void describe(IO& io,
              M& m) requires std::is_same_v<std::remove_const_t<M>, write_txn_markers_response> {
  io.array(m.markers, [](IO& io, auto& k) {
    io.i64(k.producer_id);
    describe_partition_errors(io, k.topics);
    io.tagged_fields();
  });
  io.tagged_fields();
}

struct txn_offset_commit_partition {
  int32_t index = 0;
  int64_t committed_offset = -1;
  int32_t committed_leader_epoch = -1;  // v2+
  std::optional<std::string> committed_metadata;
};
struct txn_offset_commit_topic {
  std::string name;
  std::vector<txn_offset_commit_partition> partitions;
};
struct txn_offset_commit_request {
  std::string transactional_id;
  std::string group_id;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int32_t generation_id = -1;                    // v3+
  std::string member_id;                         // v3+
  std::optional<std::string> group_instance_id;  // v3+
  std::vector<txn_offset_commit_topic> topics;
};
struct txn_offset_commit_response {
  int32_t throttle_time_ms = 0;
  std::vector<topic_partition_errors> topics;
};

template <typename IO, typename M>
void describe(IO& io,
              M& m) requires std::is_same_v<std::remove_const_t<M>, txn_offset_commit_request> {
  io.string(m.transactional_id);
  io.string(m.group_id);
  io.i64(m.producer_id);
  io.i16(m.producer_epoch);
  if (io.version() >= 3) {
    io.i32(m.generation_id);
    io.string(m.member_id);
    io.nullable_string(m.group_instance_id);
  }
  io.array(m.topics, [](IO& io, auto& t) {
    io.string(t.name);
    io.array(t.partitions, [](IO& io, auto& p) {
      io.i32(p.index);
      io.i64(p.committed_offset);
      if (io.version() >= 2) io.i32(p.committed_leader_epoch);
      io.nullable_string(p.committed_metadata);
      io.tagged_fields();
    });
    io.tagged_fields();
  });
  io.tagged_fields();
}

template <typename IO, typename M>
void describe(IO& io,
              M& m) requires std::is_same_v<std::remove_const_t<M>, txn_offset_commit_response> {
  io.i32(m.throttle_time_ms);
  describe_partition_errors(io, m.topics);
  io.tagged_fields();
}

// The WriteTxnMarkers exchange a transaction coordinator has with a
// partition leader on another broker (v1, flexible).
constexpr int16_t k_write_txn_markers_version = 1;
std::vector<uint8_t> encode_write_txn_markers_frame(int32_t correlation,
                                                    const write_txn_markers_request& req);
bool decode_write_txn_markers_response(wire_reader& in, int32_t* correlation,
                                       write_txn_markers_response* out);

}  // namespace rill::kafka
