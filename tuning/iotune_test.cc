#include "tuning/iotune.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace rill::tuning {
namespace {

namespace fs = std::filesystem;

// A directory on a disk that takes O_DIRECT (not tmpfs): under /var/tmp.
class scratch_dir {
 public:
  scratch_dir() {
    char tmpl[] = "/var/tmp/rill-iotune-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~scratch_dir() { fs::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(Iotune, MeasuresEveryFieldAndLeavesNoFile) {
  scratch_dir dir;
  iotune_result r = run_iotune({.dir = dir.path(), .duration_s = 1, .file_bytes = 8 << 20});
  ASSERT_EQ(r.error, "");
  const io_profile& p = r.profile;
  EXPECT_GT(p.write_bandwidth, 0u);
  EXPECT_GT(p.read_bandwidth, 0u);
  EXPECT_GT(p.read_iops, 0u);
  EXPECT_GT(p.write_iops, 0u);
  EXPECT_GT(p.write_iops_depth1, 0u);
  EXPECT_GT(p.fsync_p50_us, 0u);
  EXPECT_LE(p.fsync_p50_us, p.fsync_p99_us);
  EXPECT_LE(p.fsync_p99_us, p.fsync_p999_us);
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

TEST(Iotune, RefusesADirectoryItCannotUse) {
  iotune_result r = run_iotune({.dir = "/nonexistent/dir", .duration_s = 1, .file_bytes = 8 << 20});
  EXPECT_NE(r.error.find("/nonexistent/dir"), std::string::npos) << r.error;
  r = run_iotune({.dir = "/var/tmp", .duration_s = 1, .file_bytes = 3 << 19});
  EXPECT_NE(r.error.find("multiple of 1 MiB"), std::string::npos) << r.error;
}

TEST(IoProfile, RoundTripsThroughYaml) {
  scratch_dir dir;
  io_profile p{.mountpoint = "/data",
               .read_iops = 50000,
               .read_bandwidth = 800 << 20,
               .write_iops = 40000,
               .write_bandwidth = 400 << 20,
               .write_iops_depth1 = 5000,
               .fsync_p50_us = 900,
               .fsync_p99_us = 3000,
               .fsync_p999_us = 9000};
  std::string path = dir.path() + "/profile.yaml";
  std::ofstream(path) << io_profile_yaml(p);
  io_profile_read r = read_io_profile(path);
  ASSERT_TRUE(r.profile) << r.error;
  EXPECT_EQ(r.profile->mountpoint, "/data");
  EXPECT_EQ(r.profile->write_bandwidth, p.write_bandwidth);
  EXPECT_EQ(r.profile->write_iops_depth1, 5000u);
  EXPECT_EQ(r.profile->fsync_p999_us, 9000u);
}

TEST(IoProfile, ReadsSeastarsFileAndRefusesBadOnes) {
  scratch_dir dir;
  std::string seastar = dir.path() + "/io_properties.yaml";
  std::ofstream(seastar) << "disks:\n  - mountpoint: /var/lib/redpanda\n    read_iops: 100\n"
                            "    read_bandwidth: 1000\n    write_iops: 90\n"
                            "    write_bandwidth: 900\n";
  io_profile_read r = read_io_profile(seastar);
  ASSERT_TRUE(r.profile) << r.error;
  EXPECT_EQ(r.profile->fsync_p50_us, 0u);
  std::string bad = dir.path() + "/bad.yaml";
  std::ofstream(bad) << "disks: [ {mountpoint: x, write_iops: lots} ]\n";
  EXPECT_FALSE(read_io_profile(bad).profile);
  EXPECT_FALSE(read_io_profile(dir.path() + "/missing.yaml").profile);
  std::ofstream(bad) << "something: else\n";
  r = read_io_profile(bad);
  EXPECT_NE(r.error.find("disks"), std::string::npos) << r.error;
}

TEST(IoProfile, BudgetsFollowTheDisk) {
  io_profile fast{.write_iops = 200000,
                  .write_bandwidth = 2000ULL << 20,
                  .write_iops_depth1 = 20000,
                  .fsync_p50_us = 50};
  io_budgets b = derive_io_budgets(fast, 2);
  EXPECT_EQ(b.writes_in_flight_per_shard, 10u);  // 2 * (200k / 20k) / 2 shards
  EXPECT_EQ(b.staging_bytes_max, 256u << 10);    // 2000 MiB/s * 50 us = 100 KiB -> the floor
  EXPECT_EQ(b.cleaner_bytes_per_second, (2000ULL << 20) / 10 / 2);
  EXPECT_EQ(b.recovery_opens_per_shard, 20u);  // 4 * (200k / 20k) / 2 shards
  io_profile slow{.write_iops = 2000,
                  .write_bandwidth = 100ULL << 20,
                  .write_iops_depth1 = 1000,
                  .fsync_p50_us = 20000};
  b = derive_io_budgets(slow, 1);
  EXPECT_EQ(b.writes_in_flight_per_shard, 4u);
  EXPECT_EQ(b.staging_bytes_max, (100ULL << 20) / 1000000 * 20000);  // ~2 MB per fsync
  EXPECT_EQ(b.cleaner_bytes_per_second, (100ULL << 20) / 10);
  EXPECT_EQ(b.recovery_opens_per_shard, 8u);  // 4 * 2 / 1 shard
}

}  // namespace
}  // namespace rill::tuning
