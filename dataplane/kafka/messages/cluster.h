// Replication and cluster APIs described once (see field_io.h), from
// Kafka's message schemas: DeleteRecords (21) v0-2, OffsetForLeaderEpoch
// (23) v0-4, DescribeLogDirs (35) v0-4, CreatePartitions (37) v0-3,
// DescribeCluster (60) v0-1 and DescribeProducers (61) v0.
#pragma once

#include <climits>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "dataplane/kafka/messages/field_io.h"

namespace rill::kafka {

// ---- OffsetForLeaderEpoch ----
struct epoch_query_partition {
  int32_t partition = 0;
  int32_t current_leader_epoch = -1;  // v2+
  int32_t leader_epoch = -1;
};
struct epoch_query_topic {
  std::string name;
  std::vector<epoch_query_partition> partitions;
};
struct offset_for_leader_epoch_request {
  int32_t replica_id = -2;  // v3+: -1 consumers, -2 unset
  std::vector<epoch_query_topic> topics;
};
struct epoch_end_partition {
  int16_t error = 0;
  int32_t partition = 0;
  int32_t leader_epoch = -1;  // v1+
  int64_t end_offset = -1;
};
struct epoch_end_topic {
  std::string name;
  std::vector<epoch_end_partition> partitions;
};
struct offset_for_leader_epoch_response {
  int32_t throttle_time_ms = 0;  // v2+
  std::vector<epoch_end_topic> topics;
};

template <typename IO, typename M>
void describe(
    IO& io, M& m) requires std::is_same_v<std::remove_const_t<M>, offset_for_leader_epoch_request> {
  if (io.version() >= 3) io.i32(m.replica_id);
  io.array(m.topics, [](IO& io, auto& t) {
    io.string(t.name);
    io.array(t.partitions, [](IO& io, auto& p) {
      io.i32(p.partition);
      if (io.version() >= 2) io.i32(p.current_leader_epoch);
      io.i32(p.leader_epoch);
      io.tagged_fields();
    });
    io.tagged_fields();
  });
  io.tagged_fields();
}

template <typename IO, typename M>
void describe(IO& io, M& m) requires
    std::is_same_v<std::remove_const_t<M>, offset_for_leader_epoch_response> {
  if (io.version() >= 2) io.i32(m.throttle_time_ms);
  io.array(m.topics, [](IO& io, auto& t) {
    io.string(t.name);
    io.array(t.partitions, [](IO& io, auto& p) {
      io.i16(p.error);
      io.i32(p.partition);
      if (io.version() >= 1) io.i32(p.leader_epoch);
      io.i64(p.end_offset);
      io.tagged_fields();
    });
    io.tagged_fields();
  });
  io.tagged_fields();
}

// ---- CreatePartitions ----
struct partitions_increase {
  std::string name;
  int32_t count = 0;
  std::optional<std::vector<std::vector<int32_t>>> assignments;  // null: placed by Rill
};
struct create_partitions_request {
  std::vector<partitions_increase> topics;
  int32_t timeout_ms = 0;
  bool validate_only = false;
};
struct create_partitions_result {
  std::string name;
  int16_t error = 0;
  std::optional<std::string> error_message;
};
struct create_partitions_response {
  int32_t throttle_time_ms = 0;
  std::vector<create_partitions_result> results;
};

template <typename IO, typename M>
void describe(IO& io,
              M& m) requires std::is_same_v<std::remove_const_t<M>, create_partitions_request> {
  io.array(m.topics, [](IO& io, auto& t) {
    io.string(t.name);
    io.i32(t.count);
    io.nullable_array(t.assignments, [](IO& io, auto& a) {
      io.int32_array(a);
      io.tagged_fields();
    });
    io.tagged_fields();
  });
  io.i32(m.timeout_ms);
  io.boolean(m.validate_only);
  io.tagged_fields();
}

template <typename IO, typename M>
void describe(IO& io,
              M& m) requires std::is_same_v<std::remove_const_t<M>, create_partitions_response> {
  io.i32(m.throttle_time_ms);
  io.array(m.results, [](IO& io, auto& r) {
    io.string(r.name);
    io.i16(r.error);
    io.nullable_string(r.error_message);
    io.tagged_fields();
  });
  io.tagged_fields();
}

// ---- DeleteRecords ----
struct delete_records_partition {
  int32_t partition = 0;
  int64_t offset = -1;  // -1: the high watermark
};
struct delete_records_topic {
  std::string name;
  std::vector<delete_records_partition> partitions;
};
struct delete_records_request {
  std::vector<delete_records_topic> topics;
  int32_t timeout_ms = 0;
};
struct delete_records_partition_result {
  int32_t partition = 0;
  int64_t low_watermark = -1;
  int16_t error = 0;
};
struct delete_records_topic_result {
  std::string name;
  std::vector<delete_records_partition_result> partitions;
};
struct delete_records_response {
  int32_t throttle_time_ms = 0;
  std::vector<delete_records_topic_result> topics;
};

template <typename IO, typename M>
void describe(IO& io,
              M& m) requires std::is_same_v<std::remove_const_t<M>, delete_records_request> {
  io.array(m.topics, [](IO& io, auto& t) {
    io.string(t.name);
    io.array(t.partitions, [](IO& io, auto& p) {
      io.i32(p.partition);
      io.i64(p.offset);
      io.tagged_fields();
    });
    io.tagged_fields();
  });
  io.i32(m.timeout_ms);
  io.tagged_fields();
}

template <typename IO, typename M>
void describe(IO& io,
              M& m) requires std::is_same_v<std::remove_const_t<M>, delete_records_response> {
  io.i32(m.throttle_time_ms);
  io.array(m.topics, [](IO& io, auto& t) {
    io.string(t.name);
    io.array(t.partitions, [](IO& io, auto& p) {
      io.i32(p.partition);
      io.i64(p.low_watermark);
      io.i16(p.error);
      io.tagged_fields();
    });
    io.tagged_fields();
  });
  io.tagged_fields();
}

// ---- DescribeLogDirs ----
struct log_dir_query_topic {
  std::string name;
  std::vector<int32_t> partitions;
};
struct describe_log_dirs_request {
  std::optional<std::vector<log_dir_query_topic>> topics;  // null: every partition
};
struct log_dir_partition {
  int32_t partition = 0;
  int64_t size_bytes = 0;
  int64_t offset_lag = 0;  // of a future replica (a move between directories): none here
  bool is_future = false;
};
struct log_dir_topic {
  std::string name;
  std::vector<log_dir_partition> partitions;
};
struct log_dir_result {
  int16_t error = 0;
  std::string log_dir;
  std::vector<log_dir_topic> topics;
  int64_t total_bytes = -1;   // v4+
  int64_t usable_bytes = -1;  // v4+
};
struct describe_log_dirs_response {
  int32_t throttle_time_ms = 0;
  int16_t error = 0;  // v3+
  std::vector<log_dir_result> results;
};

template <typename IO, typename M>
void describe(IO& io,
              M& m) requires std::is_same_v<std::remove_const_t<M>, describe_log_dirs_request> {
  io.nullable_array(m.topics, [](IO& io, auto& t) {
    io.string(t.name);
    io.int32_array(t.partitions);
    io.tagged_fields();
  });
  io.tagged_fields();
}

template <typename IO, typename M>
void describe(IO& io,
              M& m) requires std::is_same_v<std::remove_const_t<M>, describe_log_dirs_response> {
  io.i32(m.throttle_time_ms);
  if (io.version() >= 3) io.i16(m.error);
  io.array(m.results, [](IO& io, auto& r) {
    io.i16(r.error);
    io.string(r.log_dir);
    io.array(r.topics, [](IO& io, auto& t) {
      io.string(t.name);
      io.array(t.partitions, [](IO& io, auto& p) {
        io.i32(p.partition);
        io.i64(p.size_bytes);
        io.i64(p.offset_lag);
        io.boolean(p.is_future);
        io.tagged_fields();
      });
      io.tagged_fields();
    });
    if (io.version() >= 4) {
      io.i64(r.total_bytes);
      io.i64(r.usable_bytes);
    }
    io.tagged_fields();
  });
  io.tagged_fields();
}

// ---- DescribeProducers (always flexible) ----
struct producers_query_topic {
  std::string name;
  std::vector<int32_t> partitions;
};
struct describe_producers_request {
  std::vector<producers_query_topic> topics;
};
struct active_producer {
  int64_t producer_id = -1;
  int32_t producer_epoch = -1;
  int32_t last_sequence = -1;
  int64_t last_timestamp = -1;
  int32_t coordinator_epoch = -1;         // not tracked per producer
  int64_t current_txn_start_offset = -1;  // the open transaction's first offset
};
struct producers_partition {
  int32_t partition = 0;
  int16_t error = 0;
  std::optional<std::string> error_message;
  std::vector<active_producer> producers;
};
struct producers_topic {
  std::string name;
  std::vector<producers_partition> partitions;
};
struct describe_producers_response {
  int32_t throttle_time_ms = 0;
  std::vector<producers_topic> topics;
};

template <typename IO, typename M>
void describe(IO& io,
              M& m) requires std::is_same_v<std::remove_const_t<M>, describe_producers_request> {
  io.array(m.topics, [](IO& io, auto& t) {
    io.string(t.name);
    io.int32_array(t.partitions);
    io.tagged_fields();
  });
  io.tagged_fields();
}

template <typename IO, typename M>
void describe(IO& io,
              M& m) requires std::is_same_v<std::remove_const_t<M>, describe_producers_response> {
  io.i32(m.throttle_time_ms);
  io.array(m.topics, [](IO& io, auto& t) {
    io.string(t.name);
    io.array(t.partitions, [](IO& io, auto& p) {
      io.i32(p.partition);
      io.i16(p.error);
      io.nullable_string(p.error_message);
      io.array(p.producers, [](IO& io, auto& a) {
        io.i64(a.producer_id);
        io.i32(a.producer_epoch);
        io.i32(a.last_sequence);
        io.i64(a.last_timestamp);
        io.i32(a.coordinator_epoch);
        io.i64(a.current_txn_start_offset);
        io.tagged_fields();
      });
      io.tagged_fields();
    });
    io.tagged_fields();
  });
  io.tagged_fields();
}

// ---- DescribeCluster (always flexible) ----
struct describe_cluster_request {
  bool include_cluster_authorized_operations = false;
  int8_t endpoint_type = 1;  // v1+: 1 brokers
};
struct cluster_broker {
  int32_t broker_id = -1;
  std::string host;
  int32_t port = 0;
  std::optional<std::string> rack;
};
struct describe_cluster_response {
  int32_t throttle_time_ms = 0;
  int16_t error = 0;
  std::optional<std::string> error_message;
  int8_t endpoint_type = 1;  // v1+
  std::string cluster_id;
  int32_t controller_id = -1;
  std::vector<cluster_broker> brokers;
  int32_t cluster_authorized_operations = INT32_MIN;  // not computed
};

template <typename IO, typename M>
void describe(IO& io,
              M& m) requires std::is_same_v<std::remove_const_t<M>, describe_cluster_request> {
  io.boolean(m.include_cluster_authorized_operations);
  if (io.version() >= 1) io.i8(m.endpoint_type);
  io.tagged_fields();
}

template <typename IO, typename M>
void describe(IO& io,
              M& m) requires std::is_same_v<std::remove_const_t<M>, describe_cluster_response> {
  io.i32(m.throttle_time_ms);
  io.i16(m.error);
  io.nullable_string(m.error_message);
  if (io.version() >= 1) io.i8(m.endpoint_type);
  io.string(m.cluster_id);
  io.i32(m.controller_id);
  io.array(m.brokers, [](IO& io, auto& b) {
    io.i32(b.broker_id);
    io.string(b.host);
    io.i32(b.port);
    io.nullable_string(b.rack);
    io.tagged_fields();
  });
  io.i32(m.cluster_authorized_operations);
  io.tagged_fields();
}

}  // namespace rill::kafka
