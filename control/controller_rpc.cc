#include "control/controller_rpc.h"

#include "base/assert.h"
#include "base/byte_order.h"

namespace rill::control::rpc {
namespace {

void put_pairs(wire_writer& w, const std::vector<std::pair<std::string, std::string>>& v) {
  w.array_length(static_cast<int32_t>(v.size()), false);
  for (const auto& [k, val] : v) {
    w.string(k, false);
    w.string(val, false);
  }
}

bool get_pairs(wire_reader& r, std::vector<std::pair<std::string, std::string>>* v) {
  int32_t n = r.array_length(false, 4);
  for (int32_t i = 0; i < n && r.ok(); ++i) {
    std::string k = r.string(false);
    v->emplace_back(std::move(k), r.string(false));
  }
  return r.ok();
}

void put_ints(wire_writer& w, const std::vector<int32_t>& v) {
  w.array_length(static_cast<int32_t>(v.size()), false);
  for (int32_t x : v) w.i32(x);
}

bool get_ints(wire_reader& r, std::vector<int32_t>* v) {
  int32_t n = r.array_length(false, 4);
  for (int32_t i = 0; i < n && r.ok(); ++i) v->push_back(r.i32());
  return r.ok();
}

}  // namespace

void encode(wire_writer& w, const report_replica_state_request& m) {
  w.i32(m.broker_id);
  w.i64(m.broker_epoch);
  w.string(m.topic, false);
  w.i32(m.partition);
  w.boolean(m.offline);
}
bool decode(wire_reader& r, report_replica_state_request* m) {
  m->broker_id = r.i32();
  m->broker_epoch = r.i64();
  m->topic = r.string(false);
  m->partition = r.i32();
  m->offline = r.boolean();
  return r.ok();
}
void encode(wire_writer& w, const report_replica_state_response& m) {
  w.i16(m.error);
  w.i64(m.metadata_epoch);
}
bool decode(wire_reader& r, report_replica_state_response* m) {
  m->error = r.i16();
  m->metadata_epoch = r.i64();
  return r.ok();
}

void encode(wire_writer& w, const register_request& m) {
  w.i32(m.broker_id);
  w.string(m.host, false);
  w.i32(m.port);
  w.nullable_string(m.rack, false);
}
bool decode(wire_reader& r, register_request* m) {
  m->broker_id = r.i32();
  m->host = r.string(false);
  m->port = r.i32();
  m->rack = r.nullable_string(false);
  return r.ok();
}
void encode(wire_writer& w, const register_response& m) {
  w.i16(m.error);
  w.i64(m.broker_epoch);
  w.i32(m.session_timeout_ms);
}
bool decode(wire_reader& r, register_response* m) {
  m->error = r.i16();
  m->broker_epoch = r.i64();
  m->session_timeout_ms = r.i32();
  return r.ok();
}
void encode(wire_writer& w, const heartbeat_request& m) {
  w.i32(m.broker_id);
  w.i64(m.broker_epoch);
  w.boolean(m.want_shutdown);
}
bool decode(wire_reader& r, heartbeat_request* m) {
  m->broker_id = r.i32();
  m->broker_epoch = r.i64();
  m->want_shutdown = r.boolean();
  return r.ok();
}
void encode(wire_writer& w, const heartbeat_response& m) {
  w.i16(m.error);
  w.i64(m.metadata_epoch);
  w.boolean(m.shutdown_ready);
}
bool decode(wire_reader& r, heartbeat_response* m) {
  m->error = r.i16();
  m->metadata_epoch = r.i64();
  m->shutdown_ready = r.boolean();
  return r.ok();
}
void encode(wire_writer& w, const fetch_metadata_request& m) {
  w.i64(m.known_epoch);
  w.i32(m.max_wait_ms);
}
bool decode(wire_reader& r, fetch_metadata_request* m) {
  m->known_epoch = r.i64();
  m->max_wait_ms = r.i32();
  return r.ok();
}
void encode(wire_writer& w, const fetch_metadata_response& m) {
  w.i16(m.error);
  w.i64(m.epoch);
  if (m.snapshot) {
    w.bytes_length(static_cast<int32_t>(m.snapshot->size()), false);
    w.raw({reinterpret_cast<const uint8_t*>(m.snapshot->data()), m.snapshot->size()});
  } else {
    w.bytes_length(-1, false);
  }
  w.array_length(static_cast<int32_t>(m.deltas.size()), false);
  for (const std::string& d : m.deltas) {
    w.bytes_length(static_cast<int32_t>(d.size()), false);
    w.raw({reinterpret_cast<const uint8_t*>(d.data()), d.size()});
  }
}
bool decode(wire_reader& r, fetch_metadata_response* m) {
  m->error = r.i16();
  m->epoch = r.i64();
  auto bytes = r.nullable_bytes(false);
  if (bytes) m->snapshot = std::string(reinterpret_cast<const char*>(bytes->data()), bytes->size());
  int32_t n = r.i32();
  if (n < 0 || static_cast<size_t>(n) > r.remaining()) return false;
  for (int32_t i = 0; i < n && r.ok(); ++i) {
    auto delta = r.nullable_bytes(false);
    if (!delta) return false;
    m->deltas.emplace_back(reinterpret_cast<const char*>(delta->data()), delta->size());
  }
  return r.ok();
}
void encode(wire_writer& w, const create_topics_request& m) {
  w.boolean(m.validate_only);
  w.array_length(static_cast<int32_t>(m.topics.size()), false);
  for (const topic_spec_wire& t : m.topics) {
    w.string(t.name, false);
    w.i32(t.partitions);
    w.i32(t.replication_factor);
    put_pairs(w, t.configs);
    w.array_length(static_cast<int32_t>(t.assignments.size()), false);
    for (const auto& replicas : t.assignments) put_ints(w, replicas);
  }
}
bool decode(wire_reader& r, create_topics_request* m) {
  m->validate_only = r.boolean();
  int32_t n = r.array_length(false, 12);
  for (int32_t i = 0; i < n && r.ok(); ++i) {
    topic_spec_wire& t = m->topics.emplace_back();
    t.name = r.string(false);
    t.partitions = r.i32();
    t.replication_factor = r.i32();
    get_pairs(r, &t.configs);
    int32_t a = r.array_length(false, 4);
    for (int32_t j = 0; j < a && r.ok(); ++j) {
      if (!get_ints(r, &t.assignments.emplace_back())) return false;
    }
  }
  return r.ok();
}
void encode(wire_writer& w, const topics_response& m) {
  w.i64(m.metadata_epoch);
  w.array_length(static_cast<int32_t>(m.results.size()), false);
  for (const topic_result_wire& t : m.results) {
    w.string(t.name, false);
    w.i16(t.error);
    w.string(t.message, false);
  }
}
bool decode(wire_reader& r, topics_response* m) {
  m->metadata_epoch = r.i64();
  int32_t n = r.array_length(false, 6);
  for (int32_t i = 0; i < n && r.ok(); ++i) {
    topic_result_wire& t = m->results.emplace_back();
    t.name = r.string(false);
    t.error = r.i16();
    t.message = r.string(false);
  }
  return r.ok();
}
void encode(wire_writer& w, const delete_topics_request& m) {
  w.array_length(static_cast<int32_t>(m.names.size()), false);
  for (const std::string& n : m.names) w.string(n, false);
}
bool decode(wire_reader& r, delete_topics_request* m) {
  int32_t n = r.array_length(false, 2);
  for (int32_t i = 0; i < n && r.ok(); ++i) m->names.push_back(r.string(false));
  return r.ok();
}
void encode(wire_writer& w, const allocate_producer_ids_request& m) {
  w.i32(m.broker_id);
  w.i64(m.broker_epoch);
}
bool decode(wire_reader& r, allocate_producer_ids_request* m) {
  m->broker_id = r.i32();
  m->broker_epoch = r.i64();
  return r.ok();
}
void encode(wire_writer& w, const allocate_producer_ids_response& m) {
  w.i16(m.error);
  w.i64(m.first_id);
  w.i32(m.count);
}
bool decode(wire_reader& r, allocate_producer_ids_response* m) {
  m->error = r.i16();
  m->first_id = r.i64();
  m->count = r.i32();
  return r.ok();
}
std::vector<topic_result_wire> reassignment_results(const alter_reassignments_request& req,
                                                    const std::vector<reassign_errc>& errors,
                                                    int16_t store_error) {
  RILL_ASSERT(errors.size() == req.partitions.size(), "%zu outcomes for %zu moves", errors.size(),
              req.partitions.size());
  std::vector<topic_result_wire> out;
  for (size_t i = 0; i < errors.size(); ++i) {
    bool ok = errors[i] == reassign_errc::ok;
    out.push_back(
        {req.partitions[i].topic,
         ok ? store_error
            : static_cast<int16_t>(k_error_reassign_base + static_cast<int16_t>(errors[i])),
         ok ? "" : reassign_errc_name(errors[i])});
  }
  return out;
}

void encode(wire_writer& w, const alter_reassignments_request& m) {
  w.array_length(static_cast<int32_t>(m.partitions.size()), false);
  for (const auto& p : m.partitions) {
    w.string(p.topic, false);
    w.i32(p.index);
    w.boolean(p.target.has_value());
    if (p.target) put_ints(w, *p.target);
  }
}
bool decode(wire_reader& r, alter_reassignments_request* m) {
  int32_t n = r.array_length(false, 7);
  for (int32_t i = 0; i < n && r.ok(); ++i) {
    auto& p = m->partitions.emplace_back();
    p.topic = r.string(false);
    p.index = r.i32();
    if (r.boolean() && !get_ints(r, &p.target.emplace())) return false;
  }
  return r.ok();
}
void encode(wire_writer& w, const create_partitions_request& m) {
  w.boolean(m.validate_only);
  w.array_length(static_cast<int32_t>(m.topics.size()), false);
  for (const auto& t : m.topics) {
    w.string(t.name, false);
    w.i32(t.count);
    w.array_length(static_cast<int32_t>(t.assignments.size()), false);
    for (const auto& replicas : t.assignments) put_ints(w, replicas);
  }
}
bool decode(wire_reader& r, create_partitions_request* m) {
  m->validate_only = r.boolean();
  int32_t n = r.array_length(false, 6);
  for (int32_t i = 0; i < n && r.ok(); ++i) {
    auto& t = m->topics.emplace_back();
    t.name = r.string(false);
    t.count = r.i32();
    int32_t a = r.array_length(false, 4);
    for (int32_t j = 0; j < a && r.ok(); ++j) {
      if (!get_ints(r, &t.assignments.emplace_back())) return false;
    }
  }
  return r.ok();
}
void encode(wire_writer& w, const alter_topic_config_request& m) {
  w.string(m.name, false);
  put_pairs(w, m.change.set);
  w.i8(static_cast<int8_t>(m.change.mode));
  w.i32(static_cast<int32_t>(m.change.removed.size()));
  for (const std::string& k : m.change.removed) w.string(k, false);
}
bool decode(wire_reader& r, alter_topic_config_request* m) {
  m->name = r.string(false);
  if (!get_pairs(r, &m->change.set)) return false;
  int8_t mode = r.i8();
  if (mode != 0 && mode != 1) return false;
  m->change.mode = static_cast<config_alter_mode>(mode);
  int32_t n = r.i32();
  if (n < 0 || static_cast<size_t>(n) > r.remaining()) return false;
  for (int32_t i = 0; i < n && r.ok(); ++i) m->change.removed.push_back(r.string(false));
  return r.ok();
}
void encode(wire_writer& w, const alter_partition_request& m) {
  w.i32(m.broker_id);
  w.string(m.topic, false);
  w.i32(m.partition);
  w.i32(m.leader_epoch);
  w.i32(m.partition_epoch);
  put_ints(w, m.isr);
}
bool decode(wire_reader& r, alter_partition_request* m) {
  m->broker_id = r.i32();
  m->topic = r.string(false);
  m->partition = r.i32();
  m->leader_epoch = r.i32();
  m->partition_epoch = r.i32();
  return get_ints(r, &m->isr);
}
void encode(wire_writer& w, const alter_partition_response& m) {
  w.i16(m.error);
  w.i32(m.leader_epoch);
  w.i32(m.partition_epoch);
  put_ints(w, m.isr);
}
bool decode(wire_reader& r, alter_partition_response* m) {
  m->error = r.i16();
  m->leader_epoch = r.i32();
  m->partition_epoch = r.i32();
  return get_ints(r, &m->isr);
}
void encode(wire_writer& w, const alter_partitions_request& m) {
  w.array_length(static_cast<int32_t>(m.partitions.size()), false);
  for (const alter_partition_request& p : m.partitions) encode(w, p);
}
bool decode(wire_reader& r, alter_partitions_request* m) {
  int32_t n = r.i32();
  if (n < 0 || static_cast<size_t>(n) > r.remaining()) return false;
  m->partitions.resize(static_cast<size_t>(n));
  for (alter_partition_request& p : m->partitions) {
    if (!decode(r, &p)) return false;
  }
  return r.ok();
}
void encode(wire_writer& w, const alter_partitions_response& m) {
  w.array_length(static_cast<int32_t>(m.partitions.size()), false);
  for (const alter_partition_response& p : m.partitions) encode(w, p);
}
bool decode(wire_reader& r, alter_partitions_response* m) {
  int32_t n = r.i32();
  if (n < 0 || static_cast<size_t>(n) > r.remaining()) return false;
  m->partitions.resize(static_cast<size_t>(n));
  for (alter_partition_response& p : m->partitions) {
    if (!decode(r, &p)) return false;
  }
  return r.ok();
}
void encode(wire_writer& w, const elect_preferred_response& m) {
  w.i16(m.error);
  w.i32(m.moved);
}
bool decode(wire_reader& r, elect_preferred_response* m) {
  m->error = r.i16();
  m->moved = r.i32();
  return r.ok();
}

std::vector<uint8_t> frame_request(api key, int32_t correlation, const std::vector<uint8_t>& body) {
  wire_writer w;
  size_t at = w.begin_size();
  w.i16(static_cast<int16_t>(key));
  w.i16(0);
  w.i32(correlation);
  w.string("rill", false);
  w.raw(body);
  w.finish_size(at);
  return std::move(w.bytes());
}

std::vector<uint8_t> frame_response(int32_t correlation, const std::vector<uint8_t>& body) {
  wire_writer w;
  size_t at = w.begin_size();
  w.i32(correlation);
  w.raw(body);
  w.finish_size(at);
  return std::move(w.bytes());
}

}  // namespace rill::control::rpc
