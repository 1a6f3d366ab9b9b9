#include "bench/latency_histogram.h"

#include <algorithm>
#include <cstdio>

namespace rill::bench {

size_t latency_histogram::index_of(uint64_t v) {
  if (v < (1u << k_sub_bits)) return static_cast<size_t>(v);
  int msb = 63 - __builtin_clzll(v);
  int shift = msb - k_sub_bits;
  uint64_t sub = (v >> shift) & ((1u << k_sub_bits) - 1);
  return (static_cast<size_t>(shift + 1) << k_sub_bits) + static_cast<size_t>(sub);
}

uint64_t latency_histogram::upper_bound_of(size_t index) {
  size_t exp = index >> k_sub_bits;
  uint64_t sub = index & ((1u << k_sub_bits) - 1);
  if (exp == 0) return sub;
  int shift = static_cast<int>(exp) - 1;
  return (((1ULL << k_sub_bits) | sub) + 1) << shift;
}

void latency_histogram::record(uint64_t value_ns) {
  size_t i = std::min(index_of(value_ns), buckets_.size() - 1);
  buckets_[i]++;
  count_++;
  sum_ += value_ns;
  max_ = std::max(max_, value_ns);
}

uint64_t latency_histogram::percentile(double q) const {
  if (count_ == 0) return 0;
  auto rank = static_cast<uint64_t>(q * static_cast<double>(count_ - 1)) + 1;
  uint64_t seen = 0;
  for (size_t i = 0; i < buckets_.size(); ++i) {
    seen += buckets_[i];
    if (seen >= rank) return std::min(upper_bound_of(i), max_);
  }
  return max_;
}

std::string latency_histogram::summary_us() const {
  char buf[160];
  snprintf(buf, sizeof(buf), "p50=%.2fus p99=%.2fus p99.9=%.2fus max=%.2fus (n=%llu)",
           percentile(0.5) / 1e3, percentile(0.99) / 1e3, percentile(0.999) / 1e3, max() / 1e3,
           static_cast<unsigned long long>(count_));
  return buf;
}

void latency_histogram::merge(const latency_histogram& other) {
  for (size_t i = 0; i < buckets_.size(); ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  max_ = std::max(max_, other.max_);
}

}  // namespace rill::bench
