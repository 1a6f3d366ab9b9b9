// request_stats: one shard's count and latency of the Kafka requests it
// served, by API key, for the broker's metrics.
//
// Owned by the shard's thread (local()), recorded into without locks; a
// scrape copies it on that thread. A request's latency runs from the moment
// its frame was read to the moment its response is ready to send (waiting
// for its turn behind earlier requests on the connection included).
#pragma once

#include <array>
#include <cstdint>

#include "base/prometheus.h"

namespace rill::kafka {

struct api_request_stats {
  uint64_t requests = 0;
  uint64_t malformed = 0;  // closed the connection
  uint64_t request_bytes = 0;
  duration_histogram latency;
};

class request_stats {
 public:
  static constexpr int16_t k_api_keys_max = 64;

  static request_stats& local();

  void record(int16_t key, uint64_t duration_ns, size_t request_bytes, bool malformed);
  const api_request_stats& of(int16_t key) const { return by_api_[index(key)]; }

 private:
  static size_t index(int16_t key);
  std::array<api_request_stats, k_api_keys_max> by_api_{};
};

}  // namespace rill::kafka
