#include "dataplane/group/group_records.h"

#include "base/wire.h"

namespace rill::group {
namespace {

std::span<const uint8_t> as_bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

void put_bytes(wire_writer& out, const std::string& s) {
  out.bytes_length(static_cast<int32_t>(s.size()), false);
  out.raw(as_bytes(s));
}

std::string take_bytes(wire_reader& in) {
  auto b = in.nullable_bytes(false);
  return b ? std::string(reinterpret_cast<const char*>(b->data()), b->size()) : std::string();
}

}  // namespace

std::vector<uint8_t> encode_key(const record_key& key) {
  wire_writer out;
  if (const auto* k = std::get_if<offset_key>(&key)) {
    out.i16(record_format::offset_key_version);
    out.string(k->group, false);
    out.string(k->topic, false);
    out.i32(k->partition);
  } else {
    out.i16(record_format::group_key_version);
    out.string(std::get<group_key>(key).group, false);
  }
  return std::move(out.bytes());
}

std::vector<uint8_t> encode_offset_value(const offset_value& v) {
  wire_writer out;
  out.i16(record_format::offset_value_version);
  out.i64(v.offset);
  out.i32(v.leader_epoch);
  out.string(v.metadata, false);
  out.i64(v.commit_timestamp_ms);
  return std::move(out.bytes());
}

std::vector<uint8_t> encode_group_value(const group_value& v) {
  wire_writer out;
  out.i16(record_format::group_value_version);
  out.string(v.protocol_type, false);
  out.i32(v.generation);
  out.nullable_string(v.protocol, false);
  out.nullable_string(v.leader, false);
  out.i64(v.state_timestamp_ms);
  out.array_length(static_cast<int32_t>(v.members.size()), false);
  for (const stored_member& m : v.members) {
    out.string(m.member_id, false);
    out.nullable_string(m.group_instance_id, false);
    out.string(m.client_id, false);
    out.string(m.client_host, false);
    out.i32(m.rebalance_timeout_ms);
    out.i32(m.session_timeout_ms);
    put_bytes(out, m.subscription);
    put_bytes(out, m.assignment);
  }
  return std::move(out.bytes());
}

std::optional<record_key> decode_key(std::span<const uint8_t> bytes) {
  wire_reader in(bytes);
  int16_t version = in.i16();
  record_key key;
  if (version == 0 || version == 1) {
    offset_key k;
    k.group = in.string(false);
    k.topic = in.string(false);
    k.partition = in.i32();
    key = std::move(k);
  } else if (version == record_format::group_key_version) {
    key = group_key{in.string(false)};
  } else {
    return std::nullopt;
  }
  if (!in.ok()) return std::nullopt;
  return key;
}

std::optional<offset_value> decode_offset_value(std::span<const uint8_t> bytes) {
  wire_reader in(bytes);
  int16_t version = in.i16();
  if (version < 0 || version > record_format::offset_value_version_max) return std::nullopt;
  offset_value v;
  v.offset = in.i64();
  if (version >= 3) v.leader_epoch = in.i32();
  v.metadata = in.string(false);
  v.commit_timestamp_ms = in.i64();
  if (version == 1) (void)in.i64();  // expire timestamp, no longer used
  if (!in.ok()) return std::nullopt;
  return v;
}

std::optional<group_value> decode_group_value(std::span<const uint8_t> bytes) {
  wire_reader in(bytes);
  int16_t version = in.i16();
  if (version < 0 || version > record_format::group_value_version_max) return std::nullopt;
  group_value v;
  v.protocol_type = in.string(false);
  v.generation = in.i32();
  v.protocol = in.nullable_string(false);
  v.leader = in.nullable_string(false);
  if (version >= 2) v.state_timestamp_ms = in.i64();
  int32_t n = in.array_length(false, 8);
  for (int32_t i = 0; i < n && in.ok(); ++i) {
    stored_member& m = v.members.emplace_back();
    m.member_id = in.string(false);
    if (version >= 3) m.group_instance_id = in.nullable_string(false);
    m.client_id = in.string(false);
    m.client_host = in.string(false);
    if (version >= 1) m.rebalance_timeout_ms = in.i32();
    m.session_timeout_ms = in.i32();
    if (version == 0) m.rebalance_timeout_ms = m.session_timeout_ms;
    m.subscription = take_bytes(in);
    m.assignment = take_bytes(in);
  }
  if (!in.ok()) return std::nullopt;
  return v;
}

}  // namespace rill::group
