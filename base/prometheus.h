// Prometheus exposition: the duration histogram the data path records into
// and the text format (version 0.0.4) that scrapes read.
//
// duration_histogram is owned by one thread (a shard) and recorded into
// without locks or atomics; a scrape copies it through the shard's mailbox
// and merges the copies. prometheus_text builds one response off the data
// path. See docs/metrics.md for the families Rill exports.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rill {

// Durations in power-of-two buckets from 1 us to about 33 s: bucket i
// counts observations of at most 2^i microseconds. Fixed memory, O(1)
// record, exact sum and count.
class duration_histogram {
 public:
  static constexpr size_t k_buckets = 26;

  void record_ns(uint64_t duration_ns);
  void merge(const duration_histogram& other);
  uint64_t count() const { return count_; }
  uint64_t sum_ns() const { return sum_ns_; }
  // Observations in bucket i alone (not cumulative).
  uint64_t bucket(size_t i) const { return buckets_[i]; }
  // The bucket's upper bound in seconds, as Prometheus's `le` label says it.
  static double upper_bound_s(size_t i);

 private:
  std::array<uint64_t, k_buckets> buckets_{};
  uint64_t overflow_ = 0;  // above the last bucket; only in +Inf
  uint64_t count_ = 0;
  uint64_t sum_ns_ = 0;
};

using metric_labels = std::vector<std::pair<std::string, std::string>>;

enum class metric_type : uint8_t { counter, gauge, histogram };

// Appends families in the text format. Each family is declared once
// (HELP and TYPE), then its samples follow; label values are escaped.
class prometheus_text {
 public:
  void family(std::string_view name, metric_type type, std::string_view help);
  void sample(std::string_view name, const metric_labels& labels, double value);
  // The _bucket, _sum and _count samples of a histogram family `name`.
  void histogram(std::string_view name, const metric_labels& labels, const duration_histogram& h);
  const std::string& text() const { return out_; }

 private:
  void write_labels(const metric_labels& labels, std::string_view extra_key = {},
                    std::string_view extra_value = {});
  std::string out_;
};

}  // namespace rill
