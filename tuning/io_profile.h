// io_profile: what `rill iotune` measured of a disk, in Seastar's
// io-properties shape (mountpoint, read_iops, read_bandwidth, write_iops,
// write_bandwidth) plus write+fdatasync latency, and what a broker derives
// from it at start-up (--io.profile=FILE).
//
// Pure data and arithmetic; the YAML reading and writing is yaml-cpp's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace rill::tuning {

struct io_profile {
  std::string mountpoint;
  uint64_t read_iops = 0;          // 4 KiB random reads at queue depth 32
  uint64_t read_bandwidth = 0;     // bytes/s, 1 MiB sequential reads
  uint64_t write_iops = 0;         // 4 KiB random writes at queue depth 32
  uint64_t write_bandwidth = 0;    // bytes/s, 1 MiB sequential writes
  uint64_t write_iops_depth1 = 0;  // 4 KiB random writes, one at a time
  uint64_t fsync_p50_us = 0;       // a 4 KiB write + fdatasync, one at a time
  uint64_t fsync_p99_us = 0;
  uint64_t fsync_p999_us = 0;
};

// The YAML text of a profile; a clear message when a file cannot be used.
std::string io_profile_yaml(const io_profile& p);
struct io_profile_read {
  std::optional<io_profile> profile;
  std::string error;
};
io_profile_read read_io_profile(const std::string& path);

// What a broker with `shards` shards takes from a profile.
struct io_budgets {
  // Log writes one shard keeps in flight: the concurrency the device turns
  // into throughput (random-write IOPS at depth 32 over depth 1), twice
  // over for latency slack, shared among the shards.
  uint32_t writes_in_flight_per_shard = 0;
  // The largest staging buffer one log flush writes: what arrives at the
  // disk's full bandwidth during one fdatasync, so that group commit keeps
  // up with the disk instead of paying one fsync per small write.
  uint64_t staging_bytes_max = 0;
  // The log cleaner's write budget per shard: a tenth of the bandwidth.
  uint64_t cleaner_bytes_per_second = 0;
  // Logs a shard opens and recovers at once at start-up: each recovery
  // reads its segments in sequence, so four per unit of the device's
  // parallelism, shared among the shards; the broker serves only after
  // recovery, so recovery may take all of it.
  uint32_t recovery_opens_per_shard = 0;
};
io_budgets derive_io_budgets(const io_profile& p, uint32_t shards);

}  // namespace rill::tuning
