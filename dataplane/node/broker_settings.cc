#include "dataplane/node/broker_settings.h"

namespace rill::partition {

std::optional<std::string> broker_topic_default(const broker_settings& s, const std::string& key) {
  const storage::log_options& o = s.log_defaults;
  if (key == "retention.ms") return std::to_string(o.retention_ms);
  if (key == "retention.bytes") return std::to_string(o.retention_bytes);
  if (key == "segment.bytes") return std::to_string(o.segment_bytes_max);
  if (key == "segment.ms") return std::to_string(o.segment_ms_max);
  if (key == "max.message.bytes") return std::to_string(s.message_bytes_max);
  if (key == "min.insync.replicas") return std::to_string(s.min_insync_replicas);
  if (key == "flush.ms") return std::to_string(o.flush_interval_ms);
  if (key == "rill.flush.policy") return storage::durability_name(o.sync_policy);
  return std::nullopt;
}

}  // namespace rill::partition
