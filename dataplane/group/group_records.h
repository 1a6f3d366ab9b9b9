// The records a group coordinator keeps in __consumer_offsets, in Kafka's
// own formats (docs/formats/consumer_offsets.md), so that the topic reads
// the same to Kafka's tools: an offset commit (key version 1, value
// version 3) and a group's metadata (key version 2, value version 3). A
// record with a null value is a tombstone: the offset or group is gone.
// Decoding accepts the older value versions Kafka wrote; encoding writes
// the newest. Pure functions, used on any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace rill::group {

namespace record_format {
constexpr int16_t offset_key_version = 1;        // 0 and 1 are read alike
constexpr int16_t group_key_version = 2;         // group metadata
constexpr int16_t offset_value_version = 3;      // with the leader epoch
constexpr int16_t group_value_version = 3;       // with group instance ids
constexpr int16_t offset_value_version_max = 3;  // newest read
constexpr int16_t group_value_version_max = 3;
}  // namespace record_format

struct offset_key {
  std::string group;
  std::string topic;
  int32_t partition = 0;
  bool operator==(const offset_key&) const = default;
};
struct group_key {
  std::string group;
  bool operator==(const group_key&) const = default;
};
using record_key = std::variant<offset_key, group_key>;

struct offset_value {
  int64_t offset = -1;
  int32_t leader_epoch = -1;
  std::string metadata;
  int64_t commit_timestamp_ms = -1;
  bool operator==(const offset_value&) const = default;
};

struct stored_member {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::string client_id;
  std::string client_host;
  int32_t rebalance_timeout_ms = 0;
  int32_t session_timeout_ms = 0;
  std::string subscription;  // the chosen protocol's metadata
  std::string assignment;
  bool operator==(const stored_member&) const = default;
};

struct group_value {
  std::string protocol_type;
  int32_t generation = 0;
  std::optional<std::string> protocol;
  std::optional<std::string> leader;
  int64_t state_timestamp_ms = -1;
  std::vector<stored_member> members;
  bool operator==(const group_value&) const = default;
};

std::vector<uint8_t> encode_key(const record_key& key);
std::vector<uint8_t> encode_offset_value(const offset_value& v);
std::vector<uint8_t> encode_group_value(const group_value& v);

// nullopt: not a record this coordinator understands (an unknown version
// or truncated bytes); loading skips it and logs.
std::optional<record_key> decode_key(std::span<const uint8_t> bytes);
std::optional<offset_value> decode_offset_value(std::span<const uint8_t> bytes);
std::optional<group_value> decode_group_value(std::span<const uint8_t> bytes);

}  // namespace rill::group
