// Shared pieces of the Google Benchmark programs: machine description,
// percentile counters on a benchmark's state, and a reporter that prints,
// after all runs, each benchmark's ratio to the baseline measured in the
// same run (pairs declared with add_ratio()).
#pragma once

#include <benchmark/benchmark.h>

#include <string>

#include "bench/latency_histogram.h"

namespace rill::bench {

std::string machine_description();
void set_latency_counters(benchmark::State& state, const latency_histogram& h);
// After the runs, prints p50 and p99 of `name` divided by those of `baseline`.
void add_ratio(const std::string& name, const std::string& baseline, const std::string& meaning);
// Runs the registered benchmarks with the ratio reporter; returns exit code.
int run_benchmarks(int argc, char** argv, const char* title);

}  // namespace rill::bench
