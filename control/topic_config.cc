#include "control/topic_config.h"

#include <cstdlib>

namespace rill::control {
namespace {

bool parse_int(const std::string& v, int64_t min, int64_t* out) {
  if (v.empty()) return false;
  char* end = nullptr;
  long long n = std::strtoll(v.c_str(), &end, 10);
  if (*end != '\0' || n < min) return false;
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
    if (!parse_int(value, 1 << 20, &n)) return "segment.bytes must be at least 1048576";
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
    if (value != "delete") return "only cleanup.policy=delete is supported";
  } else if (key == "rill.flush.policy") {
    if (value != "fsync" && value != "interval" && value != "replication") {
      return "rill.flush.policy must be fsync, interval or replication";
    }
  }
  return std::nullopt;
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
