#include "dataplane/kafka/server/request_stats.h"

#include "base/assert.h"

namespace rill::kafka {

request_stats& request_stats::local() {
  static thread_local request_stats stats;
  return stats;
}

size_t request_stats::index(int16_t key) {
  RILL_ASSERT(key >= 0 && key < k_api_keys_max, "API key %d outside the stats table", key);
  return static_cast<size_t>(key);
}

void request_stats::record(int16_t key, uint64_t duration_ns, size_t request_bytes,
                           bool malformed) {
  api_request_stats& s = by_api_[index(key)];
  ++s.requests;
  if (malformed) ++s.malformed;
  s.request_bytes += request_bytes;
  s.latency.record_ns(duration_ns);
}

}  // namespace rill::kafka
