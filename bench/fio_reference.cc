#include "bench/fio_reference.h"

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

namespace rill::bench {
namespace {

// Extracts a number following "key" in a JSON text (after from); enough
// for fio's well-known output without a JSON library.
double number_after(const std::string& json, const std::string& key, size_t from, size_t* at) {
  size_t k = json.find(key, from);
  if (k == std::string::npos) return 0;
  size_t colon = json.find(':', k + key.size());
  if (at != nullptr) *at = colon;
  return std::strtod(json.c_str() + colon + 1, nullptr);
}

}  // namespace

fio_result run_fio(const std::string& dir, size_t block_bytes, int iodepth, size_t total_bytes,
                   bool sync_each, int cpu) {
  std::string file = dir + "/fio-reference.dat";
  std::string cmd = "fio --name=ref --filename=" + file +
                    " --rw=write --bs=" + std::to_string(block_bytes) +
                    " --size=" + std::to_string(total_bytes) +
                    " --ioengine=io_uring --direct=1 --iodepth=" + std::to_string(iodepth) +
                    (sync_each ? " --fdatasync=1" : "") +
                    (cpu >= 0 ? " --cpus_allowed=" + std::to_string(cpu) : "") +
                    " --lat_percentiles=1 --output-format=json 2>/dev/null";
  fio_result r;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
  if (!pipe) return r;
  std::string json;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe.get())) > 0) json.append(buf, n);
  std::remove(file.c_str());
  size_t write_at = json.find("\"write\" : {");
  if (write_at == std::string::npos) return r;
  r.write_mb_per_s = number_after(json, "\"bw_bytes\"", write_at, nullptr) / 1e6;
  size_t lat = json.find("\"lat_ns\"", write_at);
  r.write_p50_us = number_after(json, "\"50.000000\"", lat, nullptr) / 1e3;
  r.write_p99_us = number_after(json, "\"99.000000\"", lat, nullptr) / 1e3;
  size_t sync_at = json.find("\"sync\" : {", write_at);
  if (sync_each && sync_at != std::string::npos) {
    size_t slat = json.find("\"lat_ns\"", sync_at);
    r.sync_p50_us = number_after(json, "\"50.000000\"", slat, nullptr) / 1e3;
    r.sync_p99_us = number_after(json, "\"99.000000\"", slat, nullptr) / 1e3;
  }
  r.ok = r.write_mb_per_s > 0;
  return r;
}

}  // namespace rill::bench
