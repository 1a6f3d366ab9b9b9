// The storage engine against the device, measured in one run:
//   1. sequential append of 1 KiB records in 16 KiB batches, fsync on an
//      interval, io_uring backend and POSIX backend, vs fio (io_uring,
//      O_DIRECT, 16 KiB blocks, queue depth 1 and 16);
//   2. append with fsync before acknowledgement (one at a time), latency
//      percentiles vs fio's write + fdatasync at 16 KiB;
//   3. CRC-32C throughput per core, hardware and portable.
// usage: storage_bench [--dir=DIR] [--mb=N] [--rounds=N] [--preallocate-kb=N]
//          [--preallocate=auto|zero|fallocate|adaptive] [--flush-interval-ms=N]
//          [--idle-poll-us=N] [--only=uring1|uring16|uringsync|posix1|posix16|posixsync]
//          [--cpu=auto|-1|N]
// A bad option or value prints the usage and exits 2.
// The shard and fio run on the same CPU: by default (auto) the one that
// services the data directory's disk interrupts (see disk_interrupts.h).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "base/command_line.h"
#include "base/config.h"
#include "base/log.h"
#include "bench/bench_support.h"
#include "bench/disk_interrupts.h"
#include "bench/fio_reference.h"
#include "bench/latency_histogram.h"
#include "platform/runtime/clock.h"
#include "platform/runtime/runtime.h"
#include "platform/runtime/uring_op.h"
#include "platform/runtime/wait_queue.h"
#include "storage/batch_builder.h"
#include "storage/crc32c.h"
#include "storage/partition_log.h"
#include "storage/posix_file_io.h"
#include "storage/uring/uring_file_io.h"

namespace rill::bench {
namespace {

using runtime::monotonic_ns;

constexpr size_t k_record_bytes = 1024;
constexpr int k_records_per_batch = 16;

enum class backend { uring, posix };

uint64_t& preallocate_bytes() {
  static uint64_t v = 16ULL << 20;
  return v;
}

storage::preallocation& preallocate_method() {
  static storage::preallocation v = storage::preallocation::automatic;
  return v;
}

uint32_t& flush_interval_ms() {
  static uint32_t v = 100;
  return v;
}

// The CPU the shard and fio run on; -1: the shard on CPU 0, fio anywhere.
int& bench_cpu() {
  static int v = -1;
  return v;
}

uint32_t& idle_poll_us() {
  static uint32_t v = 50;
  return v;
}

struct append_result {
  double mb_per_s = 0;
  latency_histogram latency;
};

// Appends `total_bytes` of batches with `window` appends in flight.
task<void> append_run(storage::file_io& io, std::string dir, storage::durability policy,
                      size_t total_bytes, int window, append_result* out) {
  runtime::shard& s = *runtime::shard::current();
  storage::log_options options{.dir = dir,
                               .segment_bytes_max = 1ULL << 30,
                               .preallocate_bytes = preallocate_bytes(),
                               .preallocate_method = preallocate_method(),
                               .sync_policy = policy,
                               .flush_interval_ms = flush_interval_ms()};
  auto log = std::move(co_await storage::partition_log::open(io, options)).value();
  auto batch =
      storage::build_filled_batch({.base_timestamp_ms = 1}, k_records_per_batch, k_record_bytes);
  size_t batches = total_bytes / batch.size();
  size_t started = 0, finished = 0;
  runtime::wait_queue done;
  bool flusher_stop = false;
  // The interval policy's fsyncs, as the broker's background loop runs them.
  spawn([](runtime::shard& s, storage::partition_log& log, bool& stop) -> task<void> {
    while (!stop) {
      co_await runtime::sleep_for(s, 10 * runtime::k_ns_per_ms);
      (void)co_await log.flush_if_due();
    }
  }(s, *log, flusher_stop));
  uint64_t t0 = monotonic_ns();
  auto one = [](storage::partition_log& log, std::vector<uint8_t>& proto, latency_histogram& h,
                size_t& finished, runtime::wait_queue& done) -> task<void> {
    uint64_t a = monotonic_ns();
    auto r = co_await log.append(std::make_shared<std::vector<uint8_t>>(proto), 1);
    if (!r.ok()) fprintf(stderr, "append failed: %s\n", storage::log_errc_name(r.error()));
    h.record(monotonic_ns() - a);
    ++finished;
    done.notify_all();
  };
  while (finished < batches) {
    while (started < batches && started - finished < static_cast<size_t>(window)) {
      ++started;
      spawn(one(*log, batch, out->latency, finished, done));
    }
    if (finished < batches) co_await done.wait(s);
  }
  (void)co_await log->flush();
  double seconds = static_cast<double>(monotonic_ns() - t0) / 1e9;
  out->mb_per_s = static_cast<double>(batches * batch.size()) / 1e6 / seconds;
  flusher_stop = true;
  co_await runtime::sleep_for(s, 20 * runtime::k_ns_per_ms);
  co_await log->close();
  std::filesystem::remove_all(dir);
}

append_result measure(backend b, const std::string& dir, storage::durability policy, size_t total,
                      int window) {
  append_result out;
  runtime::runtime_options options{.shard_count = 1};
  options.idle_poll_us = idle_poll_us();
  if (bench_cpu() >= 0) options.cpus = {bench_cpu()};
  runtime::runtime rt(options);
  rt.start([&](runtime::shard& s) {
    spawn([](runtime::shard& s, backend b, std::string dir, storage::durability policy,
             size_t total, int window, append_result* out) -> task<void> {
      storage::uring_file_io uring(s);
      storage::posix_file_io posix;
      storage::file_io& io = b == backend::uring ? static_cast<storage::file_io&>(uring) : posix;
      co_await append_run(io, dir, policy, total, window, out);
      s.owner().request_stop();
    }(s, b, dir, policy, total, window, &out));
  });
  rt.join();
  return out;
}

// One round: the fio references and every append case, back to back.
struct round_result {
  fio_result fio_qd1, fio_qd16, fio_sync;
  append_result uring1, posix1, uring16, posix16, uring_sync, posix_sync;

  double sync_reference_us(double q) const {
    return q < 0.9 ? fio_sync.write_p50_us + fio_sync.sync_p50_us
                   : fio_sync.write_p99_us + fio_sync.sync_p99_us;
  }
  static double latency_us(const append_result& r, double q) {
    return static_cast<double>(r.latency.percentile(q)) / 1e3;
  }
};

round_result run_round(const std::string& dir, size_t total) {
  using storage::durability;
  round_result r;
  size_t sync_total = std::min<size_t>(total, 32 << 20);
  r.fio_qd1 = run_fio(dir, 16384, 1, total, false, bench_cpu());
  r.uring1 = measure(backend::uring, dir + "/u1", durability::sync_interval, total, 1);
  r.posix1 = measure(backend::posix, dir + "/p1", durability::sync_interval, total, 1);
  r.fio_qd16 = run_fio(dir, 16384, 16, total, false, bench_cpu());
  r.uring16 = measure(backend::uring, dir + "/u16", durability::sync_interval, total, 16);
  r.posix16 = measure(backend::posix, dir + "/p16", durability::sync_interval, total, 16);
  r.fio_sync = run_fio(dir, 16384, 1, sync_total, true, bench_cpu());
  r.uring_sync = measure(backend::uring, dir + "/us", durability::sync_each, sync_total, 1);
  r.posix_sync = measure(backend::posix, dir + "/ps", durability::sync_each, sync_total, 1);
  return r;
}

void print_round(int n, const round_result& r) {
  printf("round %d\n", n);
  printf(
      "  fio 16 KiB O_DIRECT io_uring: qd1 %.1f MB/s, qd16 %.1f MB/s; write+fdatasync p50 %.1f "
      "us, p99 %.1f us\n",
      r.fio_qd1.write_mb_per_s, r.fio_qd16.write_mb_per_s, r.sync_reference_us(0.5),
      r.sync_reference_us(0.99));
  printf(
      "  append, fsync every %u ms: io_uring %.1f / posix %.1f MB/s (1 in flight), io_uring "
      "%.1f / posix %.1f MB/s (16 in flight)\n",
      flush_interval_ms(), r.uring1.mb_per_s, r.posix1.mb_per_s, r.uring16.mb_per_s,
      r.posix16.mb_per_s);
  printf("  append, fsync before ack: io_uring %s\n", r.uring_sync.latency.summary_us().c_str());
  printf("                            posix    %s\n", r.posix_sync.latency.summary_us().c_str());
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

template <typename F>
double median_of(const std::vector<round_result>& rounds, F ratio) {
  std::vector<double> v;
  for (const auto& r : rounds) v.push_back(ratio(r));
  return median(v);
}

void print_medians(const std::vector<round_result>& rounds) {
  using rr = round_result;
  printf("\nmedian over %zu rounds of the per-round ratios:\n", rounds.size());
  printf("append, fsync every %u ms (MB/s of batches vs fio at the same queue depth):\n",
         flush_interval_ms());
  printf("  io_uring, 1 in flight : %.2fx fio qd1\n", median_of(rounds, [](const rr& r) {
           return r.uring1.mb_per_s / r.fio_qd1.write_mb_per_s;
         }));
  printf("  posix,    1 in flight : %.2fx fio qd1\n", median_of(rounds, [](const rr& r) {
           return r.posix1.mb_per_s / r.fio_qd1.write_mb_per_s;
         }));
  printf("  io_uring, 16 in flight: %.2fx fio qd16\n", median_of(rounds, [](const rr& r) {
           return r.uring16.mb_per_s / r.fio_qd16.write_mb_per_s;
         }));
  printf("  posix,    16 in flight: %.2fx fio qd16\n", median_of(rounds, [](const rr& r) {
           return r.posix16.mb_per_s / r.fio_qd16.write_mb_per_s;
         }));
  printf("  io_uring / posix: %.2fx (1 in flight), %.2fx (16 in flight)\n",
         median_of(rounds, [](const rr& r) { return r.uring1.mb_per_s / r.posix1.mb_per_s; }),
         median_of(rounds, [](const rr& r) { return r.uring16.mb_per_s / r.posix16.mb_per_s; }));
  printf("append with fsync before ack, 1 in flight (vs fio write + fdatasync percentiles):\n");
  using member = append_result rr::*;
  for (const auto& named : {std::pair<const char*, member>{"io_uring", &rr::uring_sync},
                            std::pair<const char*, member>{"posix   ", &rr::posix_sync}}) {
    const char* name = named.first;
    member pick = named.second;
    double p50 = median_of(rounds, [&](const rr& r) {
      return rr::latency_us(r.*pick, 0.5) / r.sync_reference_us(0.5);
    });
    double p99 = median_of(rounds, [&](const rr& r) {
      return rr::latency_us(r.*pick, 0.99) / r.sync_reference_us(0.99);
    });
    printf("  %s: p50 %.2fx, p99 %.2fx of fio\n", name, p50, p99);
  }
  printf("\n");
}

double crc_gb_per_s(storage::crc32c_impl impl) {
  std::vector<uint8_t> data(1 << 20, 0x5a);
  uint32_t crc = 0;
  auto t0 = std::chrono::steady_clock::now();
  size_t rounds = impl == storage::crc32c_impl::hardware ? 4000 : 400;
  for (size_t i = 0; i < rounds; ++i) crc = storage::crc32c_with(impl, data, crc);
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (crc == 42) printf(" ");
  return static_cast<double>(rounds * data.size()) / 1e9 / s;
}

// One append case alone, without the fio references, for profiling
// (perf record, strace): NAME is uring|posix, then 1|16|sync.
int run_one_case(const std::string& name, const std::string& dir, size_t total) {
  bool posix = name.rfind("posix", 0) == 0;
  bool uring = name.rfind("uring", 0) == 0;
  std::string depth = posix || uring ? name.substr(5) : "";
  backend b = posix ? backend::posix : backend::uring;
  append_result r;
  if (depth == "sync") {
    r = measure(b, dir + "/one", storage::durability::sync_each, total, 1);
  } else if (depth == "1" || depth == "16") {
    r = measure(b, dir + "/one", storage::durability::sync_interval, total, std::stoi(depth));
  } else {
    fprintf(stderr,
            "storage_bench: unknown case '%s' (uring1, uring16, uringsync, posix1, posix16, "
            "posixsync)\n",
            name.c_str());
    return 2;
  }
  printf("%s: %.1f MB/s, append latency %s\n", name.c_str(), r.mb_per_s,
         r.latency.summary_us().c_str());
  return 0;
}

}  // namespace
}  // namespace rill::bench

int main(int argc, char** argv) {
  using namespace rill::bench;
  std::string dir = "/var/tmp/rill-storage-bench";
  size_t mb = 64;
  int round_count = 3;
  std::string only;
  std::string cpu = "auto";
  int64_t mb_option = static_cast<int64_t>(mb);
  int64_t rounds_option = round_count;
  int64_t preallocate_kb = static_cast<int64_t>(preallocate_bytes() >> 10);
  int64_t flush_ms = flush_interval_ms();
  int64_t idle_us = idle_poll_us();
  std::string method = rill::storage::preallocation_name(preallocate_method());
  CLI::App app(
      "storage_bench: partition log appends against fio, io_uring against POSIX, "
      "fsync latency, CRC-32C.",
      "storage_bench");
  app.add_option("--dir", dir, "data directory (removed at the end)")->capture_default_str();
  rill::add_integer_option(app, "--mb", &mb_option, "MiB per throughput run", 1, 1 << 20)
      ->capture_default_str();
  rill::add_integer_option(app, "--rounds", &rounds_option, "rounds (the median is reported)", 1,
                           1000)
      ->capture_default_str();
  rill::add_integer_option(app, "--preallocate-kb", &preallocate_kb, "preallocation ahead", 0,
                           1 << 30)
      ->capture_default_str();
  app.add_option("--preallocate", method, "preallocation method")
      ->check(CLI::IsMember({"auto", "zero", "fallocate", "adaptive"}))
      ->capture_default_str();
  rill::add_integer_option(app, "--flush-interval-ms", &flush_ms, "interval policy's sync", 1,
                           3600000)
      ->capture_default_str();
  rill::add_integer_option(app, "--idle-poll-us", &idle_us, "runtime idle poll", 0, 1000000)
      ->capture_default_str();
  app.add_option("--cpu", cpu, "auto (the disk's interrupt CPU), -1 (fio unpinned) or a CPU")
      ->capture_default_str();
  app.add_option("--only", only,
                 "one case alone: uring1|uring16|uringsync|posix1|posix16|posixsync")
      ->check(CLI::IsMember({"uring1", "uring16", "uringsync", "posix1", "posix16", "posixsync"}));
  if (auto code = rill::parse_command_line(app, argc, argv)) return *code;
  mb = static_cast<size_t>(mb_option);
  round_count = static_cast<int>(rounds_option);
  preallocate_bytes() = static_cast<uint64_t>(preallocate_kb) << 10;
  rill::storage::parse_preallocation(method, &preallocate_method());
  flush_interval_ms() = static_cast<uint32_t>(flush_ms);
  idle_poll_us() = static_cast<uint32_t>(idle_us);
  rill::set_log_level(rill::log_level::warn);
  std::filesystem::create_directories(dir);
  size_t total = mb << 20;
  interrupt_placement placement = disk_interrupt_placement(dir);
  if (cpu == "auto") {
    bench_cpu() = placement.cpu;
  } else {
    char* end = nullptr;
    long n = strtol(cpu.c_str(), &end, 10);
    if (end == cpu.c_str() || *end != '\0' || n < -1 || n >= sysconf(_SC_NPROCESSORS_ONLN)) {
      fprintf(stderr, "storage_bench: --cpu=%s: want auto, -1 (unpinned fio) or an online CPU\n",
              cpu.c_str());
      return 2;
    }
    bench_cpu() = static_cast<int>(n);
  }
  if (!only.empty()) return run_one_case(only, dir, total);
  printf(
      "rill storage benchmark\nmachine: %s\ndata dir: %s, %zu MiB per throughput run, records %zu "
      "B, "
      "batches of %d records, runtime idle poll %u us, %d rounds\n",
      machine_description().c_str(), dir.c_str(), mb, k_record_bytes, k_records_per_batch,
      idle_poll_us(), round_count);
  printf("placement: shard and fio on CPU %d (%s; interrupts of %s on CPU %d)\n\n", bench_cpu(),
         cpu == "auto" ? "--cpu=auto" : "--cpu",
         placement.device.empty() ? "?" : placement.device.c_str(), placement.cpu);

  // The device's speed drifts by tens of percent over seconds (a shared
  // virtual disk), so each round measures fio and both backends back to back
  // and the ratios are taken per round; the summary is the median round.
  std::vector<round_result> rounds;
  for (int r = 0; r < round_count; ++r) {
    rounds.push_back(run_round(dir, total));
    print_round(r + 1, rounds.back());
  }
  print_medians(rounds);

  printf("CRC-32C per core: hardware %.1f GB/s, portable %.1f GB/s\n",
         crc_gb_per_s(rill::storage::crc32c_impl::hardware),
         crc_gb_per_s(rill::storage::crc32c_impl::portable));
  std::filesystem::remove_all(dir);
  return 0;
}
