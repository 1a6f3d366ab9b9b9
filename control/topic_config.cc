#include "control/topic_config.h"

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstdlib>

#include "base/config.h"

namespace rill::control {
namespace {

bool parse_int(const std::string& v, int64_t min, int64_t* out) {
  int64_t n = 0;
  if (!parse_integer(v, &n, integer_suffixes::none) || n < min) return false;
  *out = n;
  return true;
}

}  // namespace

const std::map<std::string, std::string>& topic_config_defaults() {
  static const std::map<std::string, std::string> defaults = {
      {"retention.ms", "604800000"},
      {"retention.bytes", "-1"},
      {"segment.bytes", "1073741824"},
      {"segment.ms", "604800000"},
      {"max.message.bytes", "1048588"},
      {"min.insync.replicas", "1"},
      {"message.timestamp.type", "CreateTime"},
      {"unclean.leader.election.enable", "false"},
      {"cleanup.policy", "delete"},
      {"compression.type", "producer"},
      // Deprecated in Kafka 3.x, which stores format v2 whatever it says
      // (inter.broker.protocol.version >= 3.0); Rill does the same.
      {"message.format.version", "3.0-IV1"},
      {"delete.retention.ms", "86400000"},
      {"min.cleanable.dirty.ratio", "0.5"},
      {"min.compaction.lag.ms", "0"},
      {"max.compaction.lag.ms", "9223372036854775807"},
      // Kafka delays deleting a replaced file for its readers; Rill's readers
      // keep the old file open instead, so the setting is accepted and has
      // nothing to delay.
      {"file.delete.delay.ms", "60000"},
      {"flush.ms", "1000"},
      {"rill.flush.policy", "fsync"},
  };
  return defaults;
}

bool is_topic_config_key(const std::string& key) {
  return topic_config_defaults().count(key) == 1;
}

std::optional<std::string> validate_topic_config(const std::string& key, const std::string& value) {
  int64_t n = 0;
  if (!is_topic_config_key(key)) return "unknown topic config " + key;
  if (key == "retention.ms" || key == "retention.bytes") {
    if (!parse_int(value, -1, &n)) return key + " must be an integer >= -1";
  } else if (key == "segment.bytes") {
    if (!parse_int(value, 14, &n) || n > INT32_MAX)
      return "segment.bytes must be in [14, 2147483647]";
  } else if (key == "segment.ms" || key == "flush.ms") {
    if (!parse_int(value, 1, &n)) return key + " must be a positive integer";
  } else if (key == "max.message.bytes") {
    if (!parse_int(value, 64, &n) || n > (64 << 20))
      return "max.message.bytes must be in [64, 67108864]";
  } else if (key == "min.insync.replicas") {
    if (!parse_int(value, 1, &n)) return "min.insync.replicas must be >= 1";
  } else if (key == "message.timestamp.type") {
    if (value != "CreateTime" && value != "LogAppendTime") {
      return "message.timestamp.type must be CreateTime or LogAppendTime";
    }
  } else if (key == "unclean.leader.election.enable") {
    if (value != "true" && value != "false") return key + " must be true or false";
  } else if (key == "cleanup.policy") {
    if (!parse_cleanup_policy(value)) {
      return "cleanup.policy must be delete, compact, or compact,delete";
    }
  } else if (key == "message.format.version") {
    bool version_like =
        !value.empty() && std::isdigit(static_cast<unsigned char>(value[0])) &&
        std::all_of(value.begin(), value.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-';
        });
    if (!version_like)
      return "message.format.version must be a Kafka version such as 2.8 or 3.0-IV1";
  } else if (key == "compression.type") {
    static const char* k_types[] = {"producer", "uncompressed", "gzip", "snappy", "lz4", "zstd"};
    if (std::find(std::begin(k_types), std::end(k_types), value) == std::end(k_types)) {
      return "compression.type must be producer, uncompressed, gzip, snappy, lz4 or zstd";
    }
  } else if (key == "delete.retention.ms" || key == "min.compaction.lag.ms" ||
             key == "max.compaction.lag.ms" || key == "file.delete.delay.ms") {
    if (!parse_int(value, 0, &n)) return key + " must be an integer >= 0";
  } else if (key == "min.cleanable.dirty.ratio") {
    char* end = nullptr;
    double ratio = std::strtod(value.c_str(), &end);
    if (value.empty() || *end != '\0' || ratio < 0 || ratio > 1) {
      return "min.cleanable.dirty.ratio must be in [0, 1]";
    }
  } else if (key == "rill.flush.policy") {
    if (value != "fsync" && value != "interval" && value != "replication") {
      return "rill.flush.policy must be fsync, interval or replication";
    }
  }
  return std::nullopt;
}

std::optional<cleanup_policy> parse_cleanup_policy(const std::string& value) {
  cleanup_policy p{.compact = false, .remove = false};
  size_t start = 0;
  while (start <= value.size()) {
    size_t comma = value.find(',', start);
    std::string word =
        value.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    while (!word.empty() && word.front() == ' ') word.erase(word.begin());
    while (!word.empty() && word.back() == ' ') word.pop_back();
    if (word == "compact") {
      p.compact = true;
    } else if (word == "delete") {
      p.remove = true;
    } else {
      return std::nullopt;
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return p;
}

bool valid_topic_name(const std::string& name) {
  if (name.empty() || name.size() > 249 || name == "." || name == "..") return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace rill::control
