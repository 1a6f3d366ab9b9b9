// Metadata change cost at 100, 1,000 and 10,000 partitions: one ISR change
// carried as a delta (serialize_delta on the controller, apply_delta on a
// broker) against the same change carried as a whole snapshot (serialize
// and parse: what every change cost before deltas), in the same run. Both
// include the in-memory copy of the snapshot each side still makes (the
// controller's next snapshot, the broker's new immutable one). Counters:
// bytes stored and sent per change.
#include <string>
#include <vector>

#include "bench/bench_support.h"
#include "control/metadata_model.h"
#include "platform/runtime/clock.h"

namespace rill::bench {
namespace {

control::cluster_snapshot cluster_of(int64_t partitions) {
  control::cluster_snapshot s;
  s.epoch = 1;
  s.cluster_id = "bench";
  for (int32_t b = 1; b <= 3; ++b) s.brokers[b] = {b, "127.0.0.1", 9091 + b, {}, true};
  control::topic_info t{"wide", control::random_topic_id(), {}, {}};
  for (int32_t p = 0; p < partitions; ++p) {
    control::partition_info info;
    info.index = p;
    info.leader = 1 + p % 3;
    info.replicas = {1 + p % 3, 1 + (p + 1) % 3, 1 + (p + 2) % 3};
    info.isr = info.replicas;
    t.partitions.push_back(info);
  }
  s.topics["wide"] = t;
  return s;
}

// The next epoch with partition i's ISR shrunk to its leader, or grown back
// to all its replicas (a change every time, however often i comes round).
control::cluster_snapshot changed(const control::cluster_snapshot& s, int64_t i) {
  control::cluster_snapshot next = s;
  next.epoch = s.epoch + 1;
  control::partition_info& p = next.topics["wide"].partitions[static_cast<size_t>(i)];
  p.isr = p.isr.size() == p.replicas.size() ? std::vector<int32_t>{p.leader} : p.replicas;
  ++p.partition_epoch;
  return next;
}

void BM_change_as_snapshot(benchmark::State& state) {
  control::cluster_snapshot current = cluster_of(state.range(0));
  latency_histogram h;
  size_t bytes = 0;
  int64_t i = 0;
  for (auto _ : state) {
    uint64_t t0 = runtime::monotonic_ns();
    control::cluster_snapshot next = changed(current, i++ % state.range(0));
    std::string text = control::serialize_snapshot(next);
    control::cluster_snapshot received;
    benchmark::DoNotOptimize(control::parse_snapshot(text, &received));
    h.record(runtime::monotonic_ns() - t0);
    bytes = text.size();
    state.PauseTiming();
    current = std::move(received);
    state.ResumeTiming();
  }
  set_latency_counters(state, h);
  state.counters["bytes_per_change"] = static_cast<double>(bytes);
}
BENCHMARK(BM_change_as_snapshot)->Arg(100)->Arg(1000)->Arg(10000)->MinTime(0.5);

void BM_change_as_delta(benchmark::State& state) {
  control::cluster_snapshot current = cluster_of(state.range(0));
  latency_histogram h;
  size_t bytes = 0;
  int64_t i = 0;
  for (auto _ : state) {
    uint64_t t0 = runtime::monotonic_ns();
    control::cluster_snapshot next = changed(current, i++ % state.range(0));
    std::string delta = control::serialize_delta(current, next);
    control::cluster_snapshot received = current;  // the broker's copy of what it had
    benchmark::DoNotOptimize(control::apply_delta(delta, &received));
    h.record(runtime::monotonic_ns() - t0);
    bytes = delta.size();
    state.PauseTiming();
    current = std::move(received);
    state.ResumeTiming();
  }
  set_latency_counters(state, h);
  state.counters["bytes_per_change"] = static_cast<double>(bytes);
}
BENCHMARK(BM_change_as_delta)->Arg(100)->Arg(1000)->Arg(10000)->MinTime(0.5);

}  // namespace
}  // namespace rill::bench

int main(int argc, char** argv) {
  for (const char* n : {"100", "1000", "10000"}) {
    rill::bench::add_ratio(std::string("BM_change_as_delta/") + n + "/min_time:0.500",
                           std::string("BM_change_as_snapshot/") + n + "/min_time:0.500",
                           "one ISR change, controller and broker side: lower is better");
  }
  return rill::bench::run_benchmarks(
      argc, argv,
      "rill metadata change benchmarks (BM_change_as_snapshot, every change as a whole "
      "snapshot, is the reference)");
}
