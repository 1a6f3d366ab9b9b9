// probe_cpu_stalls: how often the machine takes a CPU away from a thread
// that wants it, and for how long - the floor under any tail latency.
//
//   probe_cpu_stalls [--seconds=S] [--threshold-us=U] [--steps=K] [--json]
//
// One thread per CPU, pinned, reads the monotonic clock in a loop; a gap
// above the threshold between two reads is a stall (host preemption of the
// vCPU, interrupts, kernel work). It runs twice: one spinning thread (the
// other CPUs idle), then one per CPU (every CPU busy, as under load). For
// each run: stalls per second per CPU, share of time lost, stall length
// p50/p99/max, and the wait a request arriving at a random instant sees
// (the rest of the stall it lands in) at p99 and p99.9: a request that
// needs a CPU once cannot have a lower tail than that. A request that needs
// a CPU at --steps=K independent instants (an acks=all produce: client,
// leader, two followers, leader again, client: about 8 wake-ups) lands in a
// stall about K times as often; its p99 floor is the single-instant wait at
// 1 - 0.01/K.
#include <pthread.h>
#include <sched.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/command_line.h"

namespace {

int64_t now_ns() {
  timespec t{};
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
}

struct options {
  double seconds = 5;
  int64_t threshold_ns = 200'000;
  int steps = 8;
  bool json = false;
};

// Gaps above the threshold seen by one thread pinned to `cpu`.
std::vector<int64_t> spin_and_record(int cpu, int64_t duration_ns, int64_t threshold_ns) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
  std::vector<int64_t> gaps;
  int64_t start = now_ns();
  int64_t previous = start;
  for (;;) {
    int64_t t = now_ns();
    if (t - previous > threshold_ns) gaps.push_back(t - previous);
    previous = t;
    if (t - start >= duration_ns) break;
  }
  return gaps;
}

struct run_result {
  int threads = 0;
  double seconds = 0;
  std::vector<int64_t> gaps;  // all threads
};

run_result run(int threads, const options& o) {
  auto duration = static_cast<int64_t>(o.seconds * 1e9);
  std::vector<std::vector<int64_t>> per_thread(threads);
  std::vector<std::thread> workers;
  for (int i = 0; i < threads; ++i) {
    workers.emplace_back([&, i] { per_thread[i] = spin_and_record(i, duration, o.threshold_ns); });
  }
  for (std::thread& w : workers) w.join();
  run_result r{threads, o.seconds, {}};
  for (auto& g : per_thread) r.gaps.insert(r.gaps.end(), g.begin(), g.end());
  std::sort(r.gaps.begin(), r.gaps.end());
  return r;
}

double percentile(const std::vector<int64_t>& sorted, double q) {
  if (sorted.empty()) return 0;
  auto i = static_cast<size_t>(q * static_cast<double>(sorted.size() - 1));
  return static_cast<double>(sorted[i]);
}

// The residual wait at a random instant exceeds w with probability
// sum over gaps g > w of (g - w) / total time; the q-quantile is the w where
// that falls to 1 - q (0 when the stalls cover less than 1 - q of the time).
double residual_quantile(const std::vector<int64_t>& sorted, double total_ns, double q) {
  double target = (1 - q) * total_ns;
  auto tail_above = [&](double w) {
    double sum = 0;
    for (int64_t g : sorted)
      if (static_cast<double>(g) > w) sum += static_cast<double>(g) - w;
    return sum;
  };
  if (tail_above(0) <= target) return 0;
  double lo = 0;
  double hi = sorted.empty() ? 0 : static_cast<double>(sorted.back());
  for (int i = 0; i < 60; ++i) {
    double mid = (lo + hi) / 2;
    (tail_above(mid) > target ? lo : hi) = mid;
  }
  return hi;
}

struct summary {
  double stalls_per_s_per_cpu, lost_percent, p50_us, p99_us, max_us, wait_p99_us, wait_p999_us,
      steps_p99_us;
};

summary summarize(const run_result& r, int steps) {
  double total_ns = r.seconds * 1e9 * r.threads;
  double lost = 0;
  for (int64_t g : r.gaps) lost += static_cast<double>(g);
  return {static_cast<double>(r.gaps.size()) / r.seconds / r.threads,
          100.0 * lost / total_ns,
          percentile(r.gaps, 0.5) / 1e3,
          percentile(r.gaps, 0.99) / 1e3,
          r.gaps.empty() ? 0 : static_cast<double>(r.gaps.back()) / 1e3,
          residual_quantile(r.gaps, total_ns, 0.99) / 1e3,
          residual_quantile(r.gaps, total_ns, 0.999) / 1e3,
          residual_quantile(r.gaps, total_ns, 1 - 0.01 / steps) / 1e3};
}

// Reads the command line into o; the exit code when the program should not run.
std::optional<int> parse(int argc, char** argv, options* o) {
  CLI::App app("probe_cpu_stalls: how often and how long the machine takes a busy CPU away.",
               "probe_cpu_stalls");
  int64_t threshold_us = o->threshold_ns / 1000;
  app.add_option("--seconds", o->seconds, "seconds per run")
      ->check(rill::number_in(0.001))
      ->capture_default_str();
  rill::add_integer_option(app, "--threshold-us", &threshold_us,
                           "a gap at least this long is a stall", 1, 10'000'000)
      ->capture_default_str();
  app.add_option("--steps", o->steps, "the K of the K-step p99")
      ->transform(rill::integer_in(1, 1000))
      ->capture_default_str();
  app.add_flag("--json", o->json, "JSON output");
  std::optional<int> code = rill::parse_command_line(app, argc, argv);
  o->threshold_ns = threshold_us * 1000;
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  if (auto code = parse(argc, argv, &o)) return *code;
  int cpus = static_cast<int>(std::thread::hardware_concurrency());
  summary one = summarize(run(1, o), o.steps);
  summary all = summarize(run(cpus, o), o.steps);
  if (o.json) {
    auto obj = [](const summary& s) {
      char b[384];
      snprintf(b, sizeof(b),
               "{\"stalls_per_s_per_cpu\": %.1f, \"lost_percent\": %.2f, \"stall_p50_us\": %.0f, "
               "\"stall_p99_us\": %.0f, \"stall_max_us\": %.0f, \"wait_p99_us\": %.0f, "
               "\"wait_p99_9_us\": %.0f, \"steps_p99_us\": %.0f}",
               s.stalls_per_s_per_cpu, s.lost_percent, s.p50_us, s.p99_us, s.max_us, s.wait_p99_us,
               s.wait_p999_us, s.steps_p99_us);
      return std::string(b);
    };
    printf(
        "{\"cpus\": %d, \"seconds\": %.1f, \"threshold_us\": %lld, \"steps\": %d, "
        "\"one_busy\": %s, \"all_busy\": %s}\n",
        cpus, o.seconds, static_cast<long long>(o.threshold_ns / 1000), o.steps, obj(one).c_str(),
        obj(all).c_str());
    return 0;
  }
  printf("CPU stalls above %lld us, %.1f s per run, %d CPUs\n",
         static_cast<long long>(o.threshold_ns / 1000), o.seconds, cpus);
  std::string steps_header = std::to_string(o.steps) + "-step p99 us";
  printf("%-26s %9s %7s %8s %8s %8s %12s %14s %17s\n", "", "stalls/s", "lost %", "p50 us", "p99 us",
         "max us", "wait p99 us", "wait p99.9 us", steps_header.c_str());
  auto line = [](const char* name, const summary& s) {
    printf("%-26s %9.1f %7.2f %8.0f %8.0f %8.0f %12.0f %14.0f %17.0f\n", name,
           s.stalls_per_s_per_cpu, s.lost_percent, s.p50_us, s.p99_us, s.max_us, s.wait_p99_us,
           s.wait_p999_us, s.steps_p99_us);
  };
  line("1 thread (others idle)", one);
  line("1 thread per CPU (busy)", all);
  return 0;
}
