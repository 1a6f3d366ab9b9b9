// Per-topic configuration: the keys a topic may override, their validation,
// and how an override combines with the broker's defaults.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace rill::control {

// The keys (Kafka's names where Kafka has one):
//   retention.ms, retention.bytes, segment.bytes, segment.ms,
//   max.message.bytes, min.insync.replicas, message.timestamp.type
//   (CreateTime|LogAppendTime), unclean.leader.election.enable,
//   cleanup.policy (delete|compact|compact,delete), compression.type
//   (producer|uncompressed|gzip|snappy|lz4|zstd), message.format.version
//   (accepted and ignored, as Kafka 3.x: batches are format v2), delete.retention.ms,
//   min.cleanable.dirty.ratio, min.compaction.lag.ms,
//   max.compaction.lag.ms, file.delete.delay.ms (accepted; nothing to
//   delay), flush.ms, rill.flush.policy (fsync|interval|replication).
bool is_topic_config_key(const std::string& key);
// Returns an error message for a bad value, nullopt when valid.
std::optional<std::string> validate_topic_config(const std::string& key, const std::string& value);
// Every key with its broker default, for DescribeConfigs.
const std::map<std::string, std::string>& topic_config_defaults();

// cleanup.policy's words: delete (retention by time and size), compact
// (the latest record per key), or both.
struct cleanup_policy {
  bool compact;
  bool remove;
};
std::optional<cleanup_policy> parse_cleanup_policy(const std::string& value);

// A topic name Kafka accepts: [a-zA-Z0-9._-]{1,249}, not "." or "..".
bool valid_topic_name(const std::string& name);

}  // namespace rill::control
