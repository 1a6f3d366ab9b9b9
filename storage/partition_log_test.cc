#include "storage/partition_log.h"

#include <gtest/gtest.h>

#include "storage/batch_builder.h"
#include "storage/memory_file_io.h"
#include "storage/testing/file_io_contract.h"

namespace rill::storage {
namespace {

using testing::sync_await;

batch_bytes make_batch(int records, size_t value_bytes, int64_t ts = 1000, uint32_t seed = 0) {
  return std::make_shared<std::vector<uint8_t>>(
      build_filled_batch({.base_timestamp_ms = ts}, records, value_bytes, seed));
}

class partition_log_test : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(io_.make_dirs("/data"), io_errc::ok); }

  std::unique_ptr<partition_log> open_log() {
    auto r = sync_await(partition_log::open(io_, options_));
    EXPECT_TRUE(r.ok());
    return r.ok() ? std::move(r).value() : nullptr;
  }
  append_result append(partition_log& log, batch_bytes b, int32_t epoch = 0) {
    auto r = sync_await(log.append(std::move(b), epoch));
    EXPECT_TRUE(r.ok()) << log_errc_name(r.error());
    return r.ok() ? r.value() : append_result{-1, -1, -1};
  }
  std::vector<int64_t> read_offsets(partition_log& log, int64_t from) {
    std::vector<int64_t> bases;
    int64_t next = from;
    for (;;) {
      auto r = sync_await(log.read(next, 1 << 20, INT64_MAX));
      EXPECT_TRUE(r.ok());
      if (!r.ok() || r.value().slices.empty()) break;
      for (const batch_slice& s : r.value().slices) {
        size_t at = 0;
        while (at < s.bytes.size()) {
          batch_view v(s.bytes.data() + at);
          bases.push_back(v.base_offset());
          next = v.last_offset() + 1;
          at += v.size_bytes();
        }
      }
    }
    return bases;
  }

  memory_file_io io_;
  int64_t now_ms_ = 1'000'000;
  log_options options_{.dir = "/data/t-0",
                       .segment_bytes_max = 64 * 1024,
                       .batch_bytes_max = 16 * 1024,
                       .now_ms = [this] { return now_ms_; }};
};

TEST_F(partition_log_test, appends_get_consecutive_offsets_and_read_back_byte_for_byte) {
  auto log = open_log();
  auto b1 = make_batch(3, 100);
  auto b2 = make_batch(2, 100);
  auto copy1 = *b1;
  EXPECT_EQ(append(*log, b1, 4).base_offset, 0);
  EXPECT_EQ(append(*log, b2, 4).base_offset, 3);
  EXPECT_EQ(log->log_end_offset(), 5);
  EXPECT_EQ(log->durable_end_offset(), 5);
  auto r = sync_await(log->read(0, 1 << 20, INT64_MAX));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r.value().slices.size(), 2u);
  EXPECT_TRUE(r.value().from_memory);
  // The stored batch equals what was sent, except the broker-owned fields.
  assign_batch_offset(copy1.data(), 0, 4);
  EXPECT_TRUE(std::equal(copy1.begin(), copy1.end(), r.value().slices[0].bytes.begin()));
  sync_await(log->close());
}

TEST_F(partition_log_test, reopening_recovers_everything_and_continues_the_offsets) {
  {
    auto log = open_log();
    for (int i = 0; i < 50; ++i) append(*log, make_batch(2, 1000, 1000 + i));
    EXPECT_GT(log->segment_count(), 1u);
    sync_await(log->close());
  }
  auto log = open_log();
  EXPECT_EQ(log->log_end_offset(), 100);
  EXPECT_EQ(append(*log, make_batch(1, 10)).base_offset, 100);
  auto bases = read_offsets(*log, 0);
  ASSERT_EQ(bases.size(), 51u);
  for (size_t i = 0; i < 50; ++i) EXPECT_EQ(bases[i], static_cast<int64_t>(2 * i));
  sync_await(log->close());
}

TEST_F(partition_log_test, a_clean_close_leaves_a_marker_that_the_next_open_trusts_and_removes) {
  {
    auto log = open_log();
    for (int i = 0; i < 30; ++i) append(*log, make_batch(2, 300, 1000 + i));
    sync_await(log->close());
  }
  EXPECT_TRUE(io_.exists("/data/t-0/clean-shutdown"));
  {
    auto log = open_log();
    EXPECT_FALSE(io_.exists("/data/t-0/clean-shutdown")) << "removed before any write";
    EXPECT_EQ(log->log_end_offset(), 60);
    EXPECT_EQ(append(*log, make_batch(1, 10)).base_offset, 60);
    EXPECT_EQ(read_offsets(*log, 0).size(), 31u);
    // A crash now (no close) leaves no marker: the next open scans.
  }
  EXPECT_FALSE(io_.exists("/data/t-0/clean-shutdown"));
  auto log = open_log();
  EXPECT_EQ(log->log_end_offset(), 61);
  sync_await(log->close());
}

TEST_F(partition_log_test, a_marker_that_does_not_match_the_segment_is_ignored) {
  {
    auto log = open_log();
    for (int i = 0; i < 5; ++i) append(*log, make_batch(2, 300, 1000 + i));
    sync_await(log->close());
  }
  std::string wrong = "12345 99\n";
  ASSERT_EQ(sync_await(write_file_atomically(io_, "/data/t-0", "clean-shutdown", wrong)),
            io_errc::ok);
  auto log = open_log();
  EXPECT_EQ(log->log_end_offset(), 10);
  EXPECT_EQ(read_offsets(*log, 0).size(), 5u);
  sync_await(log->close());
}

TEST_F(partition_log_test, reads_from_the_middle_of_a_batch_return_the_whole_batch) {
  auto log = open_log();
  append(*log, make_batch(5, 10));
  append(*log, make_batch(5, 10));
  auto r = sync_await(log->read(7, 1 << 20, INT64_MAX));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r.value().slices.size(), 1u);
  EXPECT_EQ(batch_view(r.value().slices[0].bytes.data()).base_offset(), 5);
  EXPECT_EQ(sync_await(log->read(11, 100, INT64_MAX)).error(), log_errc::offset_out_of_range);
  EXPECT_TRUE(sync_await(log->read(10, 100, INT64_MAX)).value().slices.empty());
  // A bound (the high watermark) hides what lies at or above it.
  EXPECT_EQ(sync_await(log->read(0, 1 << 20, 5)).value().slices.size(), 1u);
  sync_await(log->close());
}

TEST_F(partition_log_test, cold_reads_come_from_disk_when_the_hot_tail_is_small) {
  options_.hot_tail_bytes_max = 1;
  auto log = open_log();
  for (int i = 0; i < 40; ++i) append(*log, make_batch(1, 2000, 1000 + i));
  auto r = sync_await(log->read(3, 5000, INT64_MAX));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r.value().from_memory);
  EXPECT_EQ(batch_view(r.value().slices[0].bytes.data()).base_offset(), 3);
  EXPECT_EQ(read_offsets(*log, 0).size(), 40u);
  sync_await(log->close());
}

TEST_F(partition_log_test, segments_roll_by_age) {
  options_.segment_ms_max = 1000;
  auto log = open_log();
  append(*log, make_batch(1, 10));
  now_ms_ += 500;
  append(*log, make_batch(1, 10));
  EXPECT_EQ(log->segment_count(), 1u);
  now_ms_ += 600;
  append(*log, make_batch(1, 10));
  EXPECT_EQ(log->segment_count(), 2u);
  sync_await(log->close());
}

TEST_F(partition_log_test, offset_for_timestamp_finds_the_first_record_reaching_it) {
  auto log = open_log();
  for (int i = 0; i < 30; ++i) append(*log, make_batch(2, 2000, 10'000 + i * 100));
  EXPECT_EQ(sync_await(log->offset_for_timestamp(0)).value().offset, 0);
  EXPECT_EQ(sync_await(log->offset_for_timestamp(10'000 + 1250)).value().offset, 26);
  EXPECT_EQ(sync_await(log->offset_for_timestamp(99'999'999)).value().offset, -1);
  // Within a batch: records at 50'000, 50'010, 50'020 (deltas 0, 10, 20).
  auto b = std::make_shared<std::vector<uint8_t>>(
      build_batch({.base_timestamp_ms = 50'000}, {{.value = "a"},
                                                  {.value = "b", .timestamp_delta_ms = 10},
                                                  {.value = "c", .timestamp_delta_ms = 20}}));
  append(*log, b);
  timestamp_lookup mid = sync_await(log->offset_for_timestamp(50'005)).value();
  EXPECT_EQ(mid.offset, 61) << "the second record of the batch, not the batch's first";
  EXPECT_EQ(mid.timestamp, 50'010);
  timestamp_lookup newest = sync_await(log->max_timestamp_record(INT64_MAX)).value();
  EXPECT_EQ(newest.offset, 62);
  EXPECT_EQ(newest.timestamp, 50'020);
  sync_await(log->close());
}

TEST_F(partition_log_test, truncation_removes_the_tail_for_good) {
  {
    auto log = open_log();
    for (int i = 0; i < 40; ++i) append(*log, make_batch(2, 1500, 1000 + i), i < 20 ? 1 : 2);
    EXPECT_EQ(log->epochs().latest_epoch(), 2);
    ASSERT_EQ(sync_await(log->truncate_to(31)), log_errc::ok);  // inside batch [30, 31]
    EXPECT_EQ(log->log_end_offset(), 30);
    EXPECT_EQ(log->epochs().latest_epoch(), 1);
    EXPECT_EQ(append(*log, make_batch(1, 10), 3).base_offset, 30);
    sync_await(log->close());
  }
  auto log = open_log();
  EXPECT_EQ(log->log_end_offset(), 31);
  EXPECT_EQ(log->epochs().latest_epoch(), 3);
  auto bases = read_offsets(*log, 0);
  EXPECT_EQ(bases.back(), 30);
  sync_await(log->close());
}

TEST_F(partition_log_test, retention_by_bytes_deletes_whole_old_segments) {
  options_.retention_bytes = 100 * 1024;
  auto log = open_log();
  for (int i = 0; i < 200; ++i) append(*log, make_batch(1, 2000, 1000 + i));
  size_t before = log->segment_count();
  ASSERT_EQ(sync_await(log->apply_retention()), log_errc::ok);
  EXPECT_LT(log->segment_count(), before);
  EXPECT_GT(log->log_start_offset(), 0);
  EXPECT_LE(log->size_bytes(), 100u * 1024 + 64 * 1024);
  EXPECT_EQ(sync_await(log->read(0, 100, INT64_MAX)).error(), log_errc::offset_out_of_range);
  int64_t start = log->log_start_offset();
  sync_await(log->close());
  auto reopened = open_log();
  EXPECT_EQ(reopened->log_start_offset(), start);
  sync_await(reopened->close());
}

TEST_F(partition_log_test, advancing_the_log_start_deletes_records_before_it_for_good) {
  {
    auto log = open_log();
    for (int i = 0; i < 200; ++i) append(*log, make_batch(1, 2000, 1000 + i));
    size_t before = log->segment_count();
    ASSERT_EQ(sync_await(log->advance_log_start(157)), log_errc::ok);
    EXPECT_EQ(log->log_start_offset(), 157);
    EXPECT_LT(log->segment_count(), before);  // whole segments below 157 are gone
    EXPECT_EQ(sync_await(log->read(156, 100, INT64_MAX)).error(), log_errc::offset_out_of_range);
    EXPECT_EQ(read_offsets(*log, 157).front(), 157);
    // Never backwards; the end of the log is fine (everything deleted).
    ASSERT_EQ(sync_await(log->advance_log_start(100)), log_errc::ok);
    EXPECT_EQ(log->log_start_offset(), 157);
    sync_await(log->close());
  }
  auto log = open_log();
  EXPECT_EQ(log->log_start_offset(), 157);
  EXPECT_EQ(log->log_end_offset(), 200);
  ASSERT_EQ(sync_await(log->advance_log_start(200)), log_errc::ok);
  EXPECT_EQ(log->segment_count(), 1u);  // the active segment stays
  EXPECT_EQ(append(*log, make_batch(1, 10)).base_offset, 200);
  EXPECT_EQ(read_offsets(*log, 200).front(), 200);
  sync_await(log->close());
}

TEST_F(partition_log_test, retention_by_time_uses_the_newest_timestamp_of_a_segment) {
  options_.retention_ms = 10'000;
  auto log = open_log();
  for (int i = 0; i < 100; ++i) append(*log, make_batch(1, 2000, now_ms_ - 60'000 + i));
  for (int i = 0; i < 40; ++i) append(*log, make_batch(1, 2000, now_ms_));
  ASSERT_EQ(sync_await(log->apply_retention()), log_errc::ok);
  EXPECT_GE(log->log_start_offset(), 60);
  EXPECT_LE(log->log_start_offset(), 100);
  sync_await(log->close());
}

TEST_F(partition_log_test, corrupt_and_oversized_batches_are_refused_before_touching_disk) {
  auto log = open_log();
  auto bad = make_batch(2, 100);
  (*bad)[bad->size() - 1] ^= 1;
  EXPECT_EQ(sync_await(log->append(bad, 0)).error(), log_errc::corrupt_batch);
  options_.batch_bytes_max = 1000;
  auto small_log_options = options_;
  small_log_options.dir = "/data/t-1";
  auto small = sync_await(partition_log::open(io_, small_log_options));
  ASSERT_TRUE(small.ok());
  EXPECT_EQ(sync_await(small.value()->append(make_batch(1, 5000), 0)).error(),
            log_errc::batch_too_large);
  EXPECT_EQ(log->log_end_offset(), 0);
  sync_await(log->close());
  sync_await(small.value()->close());
}

TEST_F(partition_log_test, batches_that_cross_the_scan_chunk_are_recovered_and_read) {
  options_.segment_bytes_max = 8 << 20;
  options_.batch_bytes_max = 2 << 20;
  options_.hot_tail_bytes_max = 1;
  {
    auto log = open_log();
    for (int i = 0; i < 4; ++i)
      append(*log, make_batch(700, 1000, 1000 + i, static_cast<uint32_t>(i)));
    sync_await(log->close());
  }
  auto log = open_log();
  EXPECT_EQ(log->log_end_offset(), 2800);
  EXPECT_EQ(read_offsets(*log, 0), (std::vector<int64_t>{0, 700, 1400, 2100}));
  sync_await(log->close());
}

TEST_F(partition_log_test, replicated_batches_keep_their_offsets_and_must_be_contiguous) {
  auto log = open_log();
  auto b = std::make_shared<std::vector<uint8_t>>(
      build_filled_batch({.base_offset = 0, .leader_epoch = 5}, 3, 10));
  ASSERT_TRUE(sync_await(log->append_replicated(b)).ok());
  auto gap = std::make_shared<std::vector<uint8_t>>(
      build_filled_batch({.base_offset = 10, .leader_epoch = 5}, 1, 10));
  EXPECT_EQ(sync_await(log->append_replicated(gap)).error(), log_errc::not_contiguous);
  EXPECT_EQ(log->epochs().latest_epoch(), 5);
  EXPECT_EQ(log->log_end_offset(), 3);
  sync_await(log->close());
}

}  // namespace
}  // namespace rill::storage
