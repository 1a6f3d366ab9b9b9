// latency_histogram: a log-linear histogram of nanosecond latencies with a
// bounded relative error (1/128), fixed memory, O(1) record. Percentiles
// are reported as the upper bound of their bucket.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace rill::bench {

class latency_histogram {
 public:
  static constexpr int k_sub_bits = 7;  // 128 sub-buckets per power of two
  static constexpr int k_exponents = 64;

  void record(uint64_t value_ns);
  uint64_t count() const { return count_; }
  uint64_t max() const { return max_; }
  double mean() const {
    return count_ == 0 ? 0 : static_cast<double>(sum_) / static_cast<double>(count_);
  }
  // q in [0, 1]
  uint64_t percentile(double q) const;
  // "p50=.. p99=.. p99.9=.. max=.." in microseconds
  std::string summary_us() const;
  void merge(const latency_histogram& other);

 private:
  static size_t index_of(uint64_t v);
  static uint64_t upper_bound_of(size_t index);
  std::array<uint64_t, k_exponents << k_sub_bits> buckets_{};
  uint64_t count_ = 0;
  uint64_t sum_ = 0;
  uint64_t max_ = 0;
};

}  // namespace rill::bench
