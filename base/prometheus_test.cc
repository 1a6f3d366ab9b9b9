#include "base/prometheus.h"

#include <gtest/gtest.h>

namespace rill {
namespace {

TEST(DurationHistogram, BucketsArePowersOfTwoMicroseconds) {
  duration_histogram h;
  h.record_ns(0);          // bucket 0 (<= 1 us)
  h.record_ns(1000);       // bucket 0
  h.record_ns(1001);       // 2 us: bucket 1
  h.record_ns(3000);       // bucket 2 (<= 4 us)
  h.record_ns(4000);       // bucket 2
  h.record_ns(4001);       // bucket 3 (5 us)
  h.record_ns(100000000);  // 100 ms = 100000 us: bucket 17 (<= 131072 us)
  EXPECT_EQ(h.bucket(0), 2u);
  EXPECT_EQ(h.bucket(1), 1u);
  EXPECT_EQ(h.bucket(2), 2u);
  EXPECT_EQ(h.bucket(3), 1u);
  EXPECT_EQ(h.bucket(17), 1u);
  EXPECT_EQ(h.count(), 7u);
  EXPECT_EQ(h.sum_ns(), 0u + 1000 + 1001 + 3000 + 4000 + 4001 + 100000000);
  EXPECT_DOUBLE_EQ(duration_histogram::upper_bound_s(0), 1e-6);
  EXPECT_DOUBLE_EQ(duration_histogram::upper_bound_s(17), 0.131072);
}

TEST(DurationHistogram, BeyondTheLastBucketCountsOnlyInInf) {
  duration_histogram h;
  h.record_ns(3600ULL * 1'000'000'000ULL);  // an hour
  uint64_t in_buckets = 0;
  for (size_t i = 0; i < duration_histogram::k_buckets; ++i) in_buckets += h.bucket(i);
  EXPECT_EQ(in_buckets, 0u);
  EXPECT_EQ(h.count(), 1u);
  prometheus_text t;
  t.histogram("x_seconds", {}, h);
  EXPECT_NE(t.text().find("x_seconds_bucket{le=\"+Inf\"} 1\n"), std::string::npos) << t.text();
  EXPECT_NE(t.text().find("x_seconds_count 1\n"), std::string::npos);
}

TEST(DurationHistogram, MergeAddsEverything) {
  duration_histogram a, b;
  a.record_ns(500);
  b.record_ns(2500);
  b.record_ns(2500);
  a.merge(b);
  EXPECT_EQ(a.count(), 3u);
  EXPECT_EQ(a.bucket(0), 1u);
  EXPECT_EQ(a.bucket(2), 2u);
  EXPECT_EQ(a.sum_ns(), 5500u);
}

TEST(PrometheusText, FamiliesSamplesAndEscapedLabels) {
  prometheus_text t;
  t.family("rill_things_total", metric_type::counter, "things seen");
  t.sample("rill_things_total", {{"topic", "a\"b\\c\nd"}, {"partition", "3"}}, 42);
  t.family("rill_ratio", metric_type::gauge, "a ratio");
  t.sample("rill_ratio", {}, 0.25);
  EXPECT_EQ(t.text(),
            "# HELP rill_things_total things seen\n"
            "# TYPE rill_things_total counter\n"
            "rill_things_total{topic=\"a\\\"b\\\\c\\nd\",partition=\"3\"} 42\n"
            "# HELP rill_ratio a ratio\n"
            "# TYPE rill_ratio gauge\n"
            "rill_ratio 0.25\n");
}

TEST(PrometheusText, HistogramBucketsAreCumulative) {
  duration_histogram h;
  h.record_ns(1000);
  h.record_ns(3000);
  h.record_ns(3000);
  prometheus_text t;
  t.histogram("lat_seconds", {{"api", "Produce"}}, h);
  const std::string& s = t.text();
  EXPECT_NE(s.find("lat_seconds_bucket{api=\"Produce\",le=\"1e-06\"} 1\n"), std::string::npos) << s;
  EXPECT_NE(s.find("lat_seconds_bucket{api=\"Produce\",le=\"2e-06\"} 1\n"), std::string::npos);
  EXPECT_NE(s.find("lat_seconds_bucket{api=\"Produce\",le=\"4e-06\"} 3\n"), std::string::npos);
  EXPECT_NE(s.find("lat_seconds_bucket{api=\"Produce\",le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(s.find("lat_seconds_sum{api=\"Produce\"} 7e-06\n"), std::string::npos);
  EXPECT_NE(s.find("lat_seconds_count{api=\"Produce\"} 3\n"), std::string::npos);
}

}  // namespace
}  // namespace rill
