// Fetch (key 1), v4-v12, described once (field_io.h) from Kafka's message
// schema. The broker writes fetch_response (records as log slices, large
// ones sent without a copy); a follower reads fetched_response (records as
// views into the response frame). Both are one template, so both sides
// share the one description.
#pragma once

#include <climits>
#include <cstdint>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "base/wire.h"
#include "dataplane/kafka/messages/field_io.h"
#include "dataplane/kafka/protocol.h"
#include "dataplane/kafka/request_header.h"
#include "storage/partition_log.h"

namespace rill::kafka {

struct fetch_partition {
  int32_t index = 0;
  int32_t current_leader_epoch = -1;  // v9+
  int64_t fetch_offset = 0;
  int32_t last_fetched_epoch = -1;  // v12+
  int64_t log_start_offset = -1;    // v5+
  int32_t max_bytes = 0;
};

struct fetch_topic {
  std::string name;
  std::vector<fetch_partition> partitions;
};

// A topic whose partitions leave an incremental fetch session (v7+).
struct forgotten_topic {
  std::string name;
  std::vector<int32_t> partitions;
};

// Session id 0 with epoch -1: no session. Epoch 0 opens a session; a
// positive epoch continues one (KIP-227).
constexpr int32_t k_no_fetch_session = 0;
constexpr int32_t k_initial_session_epoch = 0;
constexpr int32_t k_final_session_epoch = -1;

struct fetch_request {
  int32_t replica_id = -1;
  int32_t max_wait_ms = 0;
  int32_t min_bytes = 0;
  int32_t max_bytes = INT32_MAX;                  // v3+
  int8_t isolation_level = 0;                     // v4+
  int32_t session_id = k_no_fetch_session;        // v7+
  int32_t session_epoch = k_final_session_epoch;  // v7+
  std::vector<fetch_topic> topics;
  std::vector<forgotten_topic> forgotten_topics;  // v7+
  std::string rack_id;                            // v11+
};

struct aborted_transaction {
  int64_t producer_id = 0;
  int64_t first_offset = 0;
};

template <typename Records>
struct basic_fetch_partition_response {
  int32_t index = 0;
  error_code error = error_code::none;
  int64_t high_watermark = -1;
  int64_t last_stable_offset = -1;
  int64_t log_start_offset = -1;             // v5+
  std::vector<aborted_transaction> aborted;  // v4+, read_committed
  int32_t preferred_read_replica = -1;       // v11+
  Records records{};
  int32_t diverging_epoch = -1;  // v12 tagged DivergingEpoch (0), when >= 0
  int64_t diverging_end_offset = -1;
  int32_t current_leader_id = -1;  // v12 tagged CurrentLeader (1), when >= 0
  int32_t current_leader_epoch = -1;
};

template <typename Records>
struct basic_fetch_topic_response {
  std::string name;
  std::vector<basic_fetch_partition_response<Records>> partitions;
};

template <typename Records>
struct basic_fetch_response {
  int32_t throttle_time_ms = 0;             // v1+
  error_code error = error_code::none;      // v7+
  int32_t session_id = k_no_fetch_session;  // v7+
  std::vector<basic_fetch_topic_response<Records>> topics;
};

using fetch_partition_response = basic_fetch_partition_response<storage::read_result>;
using fetch_topic_response = basic_fetch_topic_response<storage::read_result>;
using fetch_response = basic_fetch_response<storage::read_result>;
using fetched_partition = basic_fetch_partition_response<std::span<const uint8_t>>;
using fetched_topic = basic_fetch_topic_response<std::span<const uint8_t>>;
using fetched_response = basic_fetch_response<std::span<const uint8_t>>;

template <typename IO, typename M>
void describe(IO& io, M& m) requires std::is_same_v<std::remove_const_t<M>, fetch_request> {
  io.i32(m.replica_id);
  io.i32(m.max_wait_ms);
  io.i32(m.min_bytes);
  if (io.version() >= 3) io.i32(m.max_bytes);
  if (io.version() >= 4) io.i8(m.isolation_level);
  if (io.version() >= 7) {
    io.i32(m.session_id);
    io.i32(m.session_epoch);
  }
  io.array(m.topics, [](IO& io, auto& t) {
    io.string(t.name);
    io.array(t.partitions, [](IO& io, auto& p) {
      io.i32(p.index);
      if (io.version() >= 9) io.i32(p.current_leader_epoch);
      io.i64(p.fetch_offset);
      if (io.version() >= 12) io.i32(p.last_fetched_epoch);
      if (io.version() >= 5) io.i64(p.log_start_offset);
      io.i32(p.max_bytes);
      io.tagged_fields();
    });
    io.tagged_fields();
  });
  if (io.version() >= 7) {
    io.array(m.forgotten_topics, [](IO& io, auto& t) {
      io.string(t.name);
      io.int32_array(t.partitions);
      io.tagged_fields();
    });
  }
  if (io.version() >= 11) io.string(m.rack_id);
  io.tagged_fields();
}

template <typename T>
struct is_fetch_response : std::false_type {};
template <typename Records>
struct is_fetch_response<basic_fetch_response<Records>> : std::true_type {};

template <typename IO, typename M>
void describe(IO& io, M& m) requires is_fetch_response<std::remove_const_t<M>>::value {
  if (io.version() >= 1) io.i32(m.throttle_time_ms);
  if (io.version() >= 7) {
    io.error(m.error);
    io.i32(m.session_id);
  }
  io.array(m.topics, [](IO& io, auto& t) {
    io.string(t.name);
    io.array(t.partitions, [](IO& io, auto& p) {
      io.i32(p.index);
      io.error(p.error);
      io.i64(p.high_watermark);
      io.i64(p.last_stable_offset);
      if (io.version() >= 5) io.i64(p.log_start_offset);
      io.array(p.aborted, [](IO& io, auto& a) {
        io.i64(a.producer_id);
        io.i64(a.first_offset);
        io.tagged_fields();
      });
      if (io.version() >= 11) io.i32(p.preferred_read_replica);
      io.records(p.records);
      io.tagged_fields(tagged(0, p.diverging_epoch >= 0,
                              [&p](auto& io) {
                                io.i32(p.diverging_epoch);
                                io.i64(p.diverging_end_offset);
                                io.tagged_fields();
                              }),
                       tagged(1, p.current_leader_id >= 0, [&p](auto& io) {
                         io.i32(p.current_leader_id);
                         io.i32(p.current_leader_epoch);
                         io.tagged_fields();
                       }));
    });
    io.tagged_fields();
  });
  io.tagged_fields();
}

// The client side of Fetch, used by follower replicas (always v12).
constexpr int16_t k_replica_fetch_version = 12;

// Writes a whole v12 request frame (size, header v2, body).
std::vector<uint8_t> encode_fetch_request_frame(int32_t correlation, const std::string& client_id,
                                                const fetch_request& req);
// Reads a v12 response (after the 4-byte size): header v1 and body. The
// records point into the frame.
bool decode_fetch_response(wire_reader& in, int32_t* correlation, fetched_response* out);

}  // namespace rill::kafka
