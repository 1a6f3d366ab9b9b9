#include "bench/bench_support.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <vector>

namespace rill::bench {
namespace {

struct ratio_spec {
  std::string name, baseline, meaning;
};
std::vector<ratio_spec>& ratios() {
  static std::vector<ratio_spec> r;
  return r;
}

class ratio_reporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs) {
      auto p50 = r.counters.find("p50_us");
      auto p99 = r.counters.find("p99_us");
      if (p50 != r.counters.end()) p50_[r.benchmark_name()] = p50->second.value;
      if (p99 != r.counters.end()) p99_[r.benchmark_name()] = p99->second.value;
      auto rate = r.counters.find("MB_per_s");
      if (rate != r.counters.end()) rate_[r.benchmark_name()] = rate->second.value;
    }
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    if (ratios().empty()) return;
    printf("\nratios to baselines measured in this run:\n");
    for (const ratio_spec& s : ratios()) {
      auto find = [](const std::map<std::string, double>& m,
                     const std::string& prefix) -> const double* {
        for (const auto& [k, v] : m) {
          if (k.rfind(prefix, 0) == 0) return &v;
        }
        return nullptr;
      };
      const double* a50 = find(p50_, s.name);
      const double* b50 = find(p50_, s.baseline);
      const double* a99 = find(p99_, s.name);
      const double* b99 = find(p99_, s.baseline);
      const double* ar = find(rate_, s.name);
      const double* br = find(rate_, s.baseline);
      if (ar != nullptr && br != nullptr && *br > 0) {
        printf("  %-40s / %-32s throughput ratio %.2f  (%s)\n", s.name.c_str(), s.baseline.c_str(),
               *ar / *br, s.meaning.c_str());
      }
      if (a50 != nullptr && b50 != nullptr && a99 != nullptr && b99 != nullptr && *b50 > 0 &&
          *b99 > 0) {
        printf("  %-40s / %-32s p50 ratio %.2f, p99 ratio %.2f  (%s)\n", s.name.c_str(),
               s.baseline.c_str(), *a50 / *b50, *a99 / *b99, s.meaning.c_str());
      }
    }
  }

 private:
  std::map<std::string, double> p50_, p99_, rate_;
};

}  // namespace

std::string machine_description() {
  utsname u{};
  uname(&u);
  std::string cpu = "unknown cpu";
  std::ifstream info("/proc/cpuinfo");
  std::string line;
  while (std::getline(info, line)) {
    if (line.rfind("model name", 0) == 0) {
      cpu = line.substr(line.find(':') + 2);
      break;
    }
  }
  return std::string(u.sysname) + " " + u.release + ", " +
         std::to_string(sysconf(_SC_NPROCESSORS_ONLN)) + " cpus (" + cpu + ")";
}

void set_latency_counters(benchmark::State& state, const latency_histogram& h) {
  state.counters["p50_us"] = static_cast<double>(h.percentile(0.5)) / 1e3;
  state.counters["p99_us"] = static_cast<double>(h.percentile(0.99)) / 1e3;
  state.counters["p99.9_us"] = static_cast<double>(h.percentile(0.999)) / 1e3;
  state.counters["max_us"] = static_cast<double>(h.max()) / 1e3;
}

void add_ratio(const std::string& name, const std::string& baseline, const std::string& meaning) {
  ratios().push_back({name, baseline, meaning});
}

int run_benchmarks(int argc, char** argv, const char* title) {
  printf("%s\nmachine: %s\n\n", title, machine_description().c_str());
  benchmark::Initialize(&argc, argv);
  // Google Benchmark reads its own --benchmark_* flags; anything else is a
  // mistake (it names the flag), as in every other Rill program: exit 2.
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  ratio_reporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}

}  // namespace rill::bench
