// How the partition log prepares space ahead of its writes: which writes
// become single overwrites, which are split, and where zeros go.
#include <gtest/gtest.h>

#include "storage/batch_builder.h"
#include "storage/faulty_file_io.h"
#include "storage/memory_file_io.h"
#include "storage/partition_log.h"
#include "storage/space_reservations.h"
#include "storage/testing/file_io_contract.h"

namespace rill::storage {
namespace {

using testing::sync_await;

batch_bytes make_batch(size_t value_bytes, uint32_t seed) {
  return std::make_shared<std::vector<uint8_t>>(
      build_filled_batch({.base_timestamp_ms = 1000}, 1, value_bytes, seed));
}

class partition_log_preallocation : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(memory_.make_dirs("/d"), io_errc::ok); }

  std::unique_ptr<partition_log> open_log(preallocation method) {
    options_.preallocate_method = method;
    return sync_await(partition_log::open(counted_, options_)).value();
  }
  // Appends `count` batches of value_bytes; returns their copies by offset.
  void append(partition_log& log, int count, size_t value_bytes) {
    for (int i = 0; i < count; ++i) {
      batch_bytes b = make_batch(value_bytes, static_cast<uint32_t>(stored_.size()));
      auto r = sync_await(log.append(b, 0));
      ASSERT_TRUE(r.ok()) << log_errc_name(r.error());
      stored_.push_back(*b);
    }
  }
  // Reopens the log and reads every batch back from the file.
  void expect_everything_reads_back_from_disk() {
    options_.hot_tail_bytes_max = 1;
    auto log = sync_await(partition_log::open(memory_, options_)).value();
    int64_t offset = 0;
    for (const std::vector<uint8_t>& expected : stored_) {
      auto r = sync_await(log->read(offset, expected.size(), INT64_MAX));
      ASSERT_TRUE(r.ok());
      ASSERT_FALSE(r.value().slices.empty()) << "offset " << offset;
      auto got = r.value().slices[0].bytes.first(expected.size());
      ASSERT_TRUE(std::equal(got.begin(), got.end(), expected.begin())) << "offset " << offset;
      ++offset;
    }
    sync_await(log->close());
  }

  memory_file_io memory_;
  faulty_file_io counted_{&memory_};
  log_options options_{.dir = "/d/p",
                       .preallocate_bytes = 64 * 1024,
                       .sync_policy = durability::sync_none,
                       .batch_bytes_max = 16 * 1024};
  std::vector<std::vector<uint8_t>> stored_;
};

TEST_F(partition_log_preallocation, fallocate_splits_every_append_that_rewrites_the_tail_page) {
  auto log = open_log(preallocation::fallocate);
  append(*log, 200, 700);  // ~150 KiB: an append in five crosses into a new page
  EXPECT_GE(counted_.counts().split_writes, 35u);
  EXPECT_EQ(counted_.counts().zero_writes, 0u);
  sync_await(log->close());
  expect_everything_reads_back_from_disk();
}

TEST_F(partition_log_preallocation, adaptive_makes_small_appends_single_overwrites) {
  auto log = open_log(preallocation::adaptive);
  append(*log, 200, 700);  // ~150 KiB: three fallocate'd windows
  EXPECT_EQ(counted_.counts().split_writes, 0u);
  EXPECT_GE(counted_.counts().zero_writes, 2u);
  sync_await(log->close());
  expect_everything_reads_back_from_disk();
}

TEST_F(partition_log_preallocation, adaptive_stops_zeroing_once_writes_are_large) {
  options_.zero_fill_below_write_bytes = 4096;
  auto log = open_log(preallocation::adaptive);
  append(*log, 3, 6000);  // the moving average is still small: zeros go ahead
  EXPECT_GT(counted_.counts().zero_writes, 0u);
  append(*log, 10, 6000);  // now it is large
  uint64_t zeros = counted_.counts().zero_writes;
  uint64_t splits = counted_.counts().split_writes;
  append(*log, 20, 6000);
  EXPECT_EQ(counted_.counts().zero_writes, zeros) << "no zeros for large writes";
  EXPECT_GE(counted_.counts().split_writes, splits + 15) << "past the zeros, appends are split";
  sync_await(log->close());
  expect_everything_reads_back_from_disk();
}

TEST_F(partition_log_preallocation, automatic_is_zero_fill_under_fsync_and_adaptive_otherwise) {
  options_.sync_policy = durability::sync_each;
  auto synced = open_log(preallocation::automatic);
  append(*synced, 5, 700);
  sync_await(synced->close());
  uint64_t zeros_fsync = counted_.counts().zero_writes;
  EXPECT_GT(zeros_fsync, 0u);
  options_.sync_policy = durability::sync_none;
  options_.dir = "/d/q";
  auto replicated = open_log(preallocation::automatic);
  append(*replicated, 5, 700);
  sync_await(replicated->close());
  EXPECT_GT(counted_.counts().zero_writes, zeros_fsync);
  EXPECT_EQ(counted_.counts().split_writes, 0u);
}

TEST_F(partition_log_preallocation, windows_follow_the_write_rate_and_idle_logs_give_space_back) {
  int64_t now = 1'000'000;
  options_.now_ms = [&now] { return now; };
  options_.preallocate_bytes = 8 << 20;
  options_.preallocate_initial_bytes = 1 << 20;
  space_reservations reservations(64 << 20);
  options_.reservations = &reservations;
  auto log = open_log(preallocation::fallocate);
  EXPECT_EQ(reservations.windows_bytes(), 1u << 20) << "a new log starts with one small window";
  // A busy log: each window is used up within a second, so it doubles.
  for (int i = 0; i < 400; ++i) {
    append(*log, 1, 12 * 1024);
    now += 2;
  }
  uint64_t busy_file = memory_.contents("/d/p/00000000000000000000.log").size();
  uint64_t data = log->size_bytes();
  EXPECT_GT(reservations.windows_bytes(), 1u << 20);
  EXPECT_GT(busy_file, data + (1 << 20)) << "a busy log reserves more than its first window";
  // Idle for a minute: what lies beyond its data and one window goes back.
  now += 61'000;
  ASSERT_EQ(sync_await(log->trim_idle_reservation(60'000)), log_errc::ok);
  uint64_t idle_file = memory_.contents("/d/p/00000000000000000000.log").size();
  EXPECT_LE(idle_file, data + (1 << 20) + 4096);
  EXPECT_EQ(reservations.windows_bytes(), 1u << 20);
  // It still takes appends, into space it prepares again.
  append(*log, 3, 12 * 1024);
  sync_await(log->close());
  expect_everything_reads_back_from_disk();
}

}  // namespace
}  // namespace rill::storage
