#include "tuning/io_profile.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>

#include "base/assert.h"

namespace rill::tuning {

namespace {
constexpr uint32_t k_writes_in_flight_min = 2;
constexpr uint32_t k_writes_in_flight_max = 64;
constexpr uint64_t k_staging_min = 256 << 10;
constexpr uint64_t k_staging_max = 16 << 20;
constexpr uint64_t k_cleaner_min = 1 << 20;
constexpr uint32_t k_recovery_opens_min = 4;
constexpr uint32_t k_recovery_opens_max = 256;
}  // namespace

std::string io_profile_yaml(const io_profile& p) {
  YAML::Emitter out;
  out << YAML::BeginMap << YAML::Key << "disks" << YAML::Value << YAML::BeginSeq;
  out << YAML::BeginMap;
  out << YAML::Key << "mountpoint" << YAML::Value << p.mountpoint;
  out << YAML::Key << "read_iops" << YAML::Value << p.read_iops;
  out << YAML::Key << "read_bandwidth" << YAML::Value << p.read_bandwidth;
  out << YAML::Key << "write_iops" << YAML::Value << p.write_iops;
  out << YAML::Key << "write_bandwidth" << YAML::Value << p.write_bandwidth;
  out << YAML::Key << "write_iops_depth1" << YAML::Value << p.write_iops_depth1;
  out << YAML::Key << "fsync_latency_p50_us" << YAML::Value << p.fsync_p50_us;
  out << YAML::Key << "fsync_latency_p99_us" << YAML::Value << p.fsync_p99_us;
  out << YAML::Key << "fsync_latency_p999_us" << YAML::Value << p.fsync_p999_us;
  out << YAML::EndMap << YAML::EndSeq << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

io_profile_read read_io_profile(const std::string& path) {
  io_profile_read r;
  try {
    YAML::Node root = YAML::LoadFile(path);
    YAML::Node disks = root["disks"];
    if (!disks || !disks.IsSequence() || disks.size() == 0) {
      r.error = path + ": no 'disks' list (write one with rill iotune)";
      return r;
    }
    YAML::Node d = disks[0];
    io_profile p;
    p.mountpoint = d["mountpoint"].as<std::string>("");
    p.read_iops = d["read_iops"].as<uint64_t>();
    p.read_bandwidth = d["read_bandwidth"].as<uint64_t>();
    p.write_iops = d["write_iops"].as<uint64_t>();
    p.write_bandwidth = d["write_bandwidth"].as<uint64_t>();
    // Rill's own fields are optional: a Seastar io-properties file works.
    p.write_iops_depth1 = d["write_iops_depth1"].as<uint64_t>(0);
    p.fsync_p50_us = d["fsync_latency_p50_us"].as<uint64_t>(0);
    p.fsync_p99_us = d["fsync_latency_p99_us"].as<uint64_t>(0);
    p.fsync_p999_us = d["fsync_latency_p999_us"].as<uint64_t>(0);
    if (p.write_iops == 0 || p.write_bandwidth == 0) {
      r.error = path + ": write_iops and write_bandwidth must be positive";
      return r;
    }
    r.profile = p;
  } catch (const YAML::Exception& e) {
    r.error = path + ": " + e.what();
  }
  return r;
}

io_budgets derive_io_budgets(const io_profile& p, uint32_t shards) {
  RILL_ASSERT(shards > 0, "a broker has at least one shard");
  RILL_ASSERT(p.write_iops > 0 && p.write_bandwidth > 0, "an unmeasured profile");
  io_budgets b;
  double parallelism =
      p.write_iops_depth1 > 0 ? static_cast<double>(p.write_iops) / p.write_iops_depth1 : 8.0;
  auto in_flight = static_cast<uint32_t>(2.0 * std::max(1.0, parallelism) / shards + 0.5);
  b.writes_in_flight_per_shard =
      std::clamp(in_flight, k_writes_in_flight_min, k_writes_in_flight_max);
  uint64_t fsync_us = p.fsync_p50_us > 0 ? p.fsync_p50_us : 1000;
  uint64_t per_fsync = p.write_bandwidth / 1000000 * fsync_us;
  b.staging_bytes_max = std::clamp(per_fsync, k_staging_min, k_staging_max);
  b.cleaner_bytes_per_second = std::max(k_cleaner_min, p.write_bandwidth / 10 / shards);
  auto opens = static_cast<uint32_t>(4.0 * std::max(1.0, parallelism) / shards + 0.5);
  b.recovery_opens_per_shard = std::clamp(opens, k_recovery_opens_min, k_recovery_opens_max);
  return b;
}

}  // namespace rill::tuning
