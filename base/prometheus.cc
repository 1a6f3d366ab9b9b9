#include "base/prometheus.h"

#include <bit>
#include <cinttypes>
#include <cmath>
#include <cstdio>

#include "base/assert.h"

namespace rill {

void duration_histogram::record_ns(uint64_t duration_ns) {
  uint64_t us = (duration_ns + 999) / 1000;
  // Bucket i holds (2^(i-1), 2^i] microseconds; 0 and 1 us go to bucket 0.
  size_t i = us <= 1 ? 0 : static_cast<size_t>(std::bit_width(us - 1));
  if (i < k_buckets) {
    ++buckets_[i];
  } else {
    ++overflow_;
  }
  ++count_;
  sum_ns_ += duration_ns;
}

void duration_histogram::merge(const duration_histogram& other) {
  for (size_t i = 0; i < k_buckets; ++i) buckets_[i] += other.buckets_[i];
  overflow_ += other.overflow_;
  count_ += other.count_;
  sum_ns_ += other.sum_ns_;
}

double duration_histogram::upper_bound_s(size_t i) {
  RILL_ASSERT(i < k_buckets, "bucket %zu of %zu", i, k_buckets);
  return std::ldexp(1.0, static_cast<int>(i)) / 1e6;
}

void prometheus_text::family(std::string_view name, metric_type type, std::string_view help) {
  RILL_ASSERT(!name.empty() && help.find('\n') == std::string_view::npos, "bad family %.*s",
              static_cast<int>(name.size()), name.data());
  const char* type_name = type == metric_type::counter ? "counter"
                          : type == metric_type::gauge ? "gauge"
                                                       : "histogram";
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  out_ += help;
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += ' ';
  out_ += type_name;
  out_ += '\n';
}

void prometheus_text::write_labels(const metric_labels& labels, std::string_view extra_key,
                                   std::string_view extra_value) {
  if (labels.empty() && extra_key.empty()) return;
  out_ += '{';
  bool first = true;
  auto one = [&](std::string_view key, std::string_view value) {
    if (!first) out_ += ',';
    first = false;
    out_ += key;
    out_ += "=\"";
    for (char c : value) {
      if (c == '\\' || c == '"') {
        out_ += '\\';
        out_ += c;
      } else if (c == '\n') {
        out_ += "\\n";
      } else {
        out_ += c;
      }
    }
    out_ += '"';
  };
  for (const auto& [k, v] : labels) one(k, v);
  if (!extra_key.empty()) one(extra_key, extra_value);
  out_ += '}';
}

namespace {
std::string format_value(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  char buf[64];
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    snprintf(buf, sizeof(buf), "%" PRId64, static_cast<int64_t>(v));
  } else {
    snprintf(buf, sizeof(buf), "%.9g", v);
  }
  return buf;
}
}  // namespace

void prometheus_text::sample(std::string_view name, const metric_labels& labels, double value) {
  out_ += name;
  write_labels(labels);
  out_ += ' ';
  out_ += format_value(value);
  out_ += '\n';
}

void prometheus_text::histogram(std::string_view name, const metric_labels& labels,
                                const duration_histogram& h) {
  std::string bucket_name = std::string(name) + "_bucket";
  uint64_t cumulative = 0;
  for (size_t i = 0; i < duration_histogram::k_buckets; ++i) {
    cumulative += h.bucket(i);
    out_ += bucket_name;
    write_labels(labels, "le", format_value(duration_histogram::upper_bound_s(i)));
    out_ += ' ';
    out_ += format_value(static_cast<double>(cumulative));
    out_ += '\n';
  }
  out_ += bucket_name;
  write_labels(labels, "le", "+Inf");
  out_ += ' ';
  out_ += format_value(static_cast<double>(h.count()));
  out_ += '\n';
  sample(std::string(name) + "_sum", labels, static_cast<double>(h.sum_ns()) / 1e9);
  sample(std::string(name) + "_count", labels, static_cast<double>(h.count()));
}

}  // namespace rill
