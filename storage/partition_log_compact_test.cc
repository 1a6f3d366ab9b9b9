// Log compaction (partition_log::compact): the latest record of each key
// stays, offsets and order never change, old tombstones go, the active
// segment is never touched, and the result survives a reopen and a crash
// in the middle of a rewrite.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "storage/batch_builder.h"
#include "storage/index_format.h"
#include "storage/memory_file_io.h"
#include "storage/partition_log.h"
#include "storage/record_reader.h"
#include "storage/testing/file_io_contract.h"

namespace rill::storage {
namespace {

using testing::sync_await;

struct stored_record {
  int64_t offset;
  std::optional<std::string> key;
  std::optional<std::string> value;
};

class compaction_test : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(io_.make_dirs("/data"), io_errc::ok); }

  std::unique_ptr<partition_log> open_log() {
    auto r = sync_await(partition_log::open(io_, options_));
    EXPECT_TRUE(r.ok());
    return r.ok() ? std::move(r).value() : nullptr;
  }
  void put(partition_log& log, const std::string& key, std::optional<std::string> value) {
    auto b = std::make_shared<std::vector<uint8_t>>(
        build_batch({.base_timestamp_ms = now_ms_}, {{.key = key, .value = std::move(value)}}));
    ASSERT_TRUE(sync_await(log.append(b, 0)).ok());
  }
  // Every record from the log start, through the disk path.
  std::vector<stored_record> read_all(partition_log& log) {
    std::vector<stored_record> out;
    int64_t next = log.log_start_offset();
    while (next < log.log_end_offset()) {
      auto r = sync_await(log.read(next, 1 << 20, INT64_MAX));
      EXPECT_TRUE(r.ok());
      if (!r.ok() || r.value().slices.empty()) break;
      for (const batch_slice& s : r.value().slices) {
        size_t at = 0;
        while (at < s.bytes.size()) {
          batch_view v(s.bytes.data() + at);
          EXPECT_EQ(v.base_offset(), next) << "batches stay contiguous";
          record_reader records(s.bytes.subspan(at, v.size_bytes()));
          while (auto rec = records.next()) {
            auto text =
                [](std::optional<std::span<const uint8_t>> b) -> std::optional<std::string> {
              if (!b) return std::nullopt;
              return std::string(b->begin(), b->end());
            };
            out.push_back({rec->offset, text(rec->key), text(rec->value)});
          }
          next = v.last_offset() + 1;
          at += v.size_bytes();
        }
      }
    }
    return out;
  }
  compaction_stats compact(partition_log& log, compaction_options o = {}) {
    o.min_cleanable_dirty_ratio = 0.01;
    auto r = sync_await(log.compact(o));
    EXPECT_TRUE(r.ok());
    return r.ok() ? r.value() : compaction_stats{};
  }

  memory_file_io io_;
  int64_t now_ms_ = 1'000'000;
  log_options options_{.dir = "/data/c-0",
                       .segment_bytes_max = 4096,
                       .batch_bytes_max = 1024,
                       .hot_tail_bytes_max = 1,  // reads of closed segments go to the disk
                       .now_ms = [this] { return now_ms_; }};
};

TEST_F(compaction_test, the_latest_record_of_each_key_stays_at_its_offset) {
  auto log = open_log();
  for (int i = 0; i < 300; ++i) put(*log, "k" + std::to_string(i % 10), "v" + std::to_string(i));
  std::vector<stored_record> before = read_all(*log);
  ASSERT_EQ(before.size(), 300u);
  uint64_t size_before = log->size_bytes();
  compaction_stats stats = compact(*log);
  EXPECT_TRUE(stats.ran);
  EXPECT_GT(stats.segments_rewritten, 0);
  EXPECT_GT(stats.records_removed, 0);
  EXPECT_LT(log->size_bytes(), size_before);
  std::vector<stored_record> after = read_all(*log);
  // The latest of each key below the cleaned end: the active segment's
  // records are not in the cleaner's map.
  std::map<std::string, int64_t> latest;
  for (const stored_record& r : before) {
    if (r.offset < stats.cleaned_to) latest[*r.key] = r.offset;
  }
  int64_t active_base = log->segment_for(log->log_end_offset() - 1)->base_offset;
  int64_t last = -1;
  for (const stored_record& r : after) {
    EXPECT_GT(r.offset, last) << "order and offsets never change";
    last = r.offset;
    EXPECT_EQ(*r.value, "v" + std::to_string(r.offset)) << "a record keeps its offset";
    bool superseded = latest[*r.key] != r.offset;
    EXPECT_FALSE(superseded && r.offset < stats.cleaned_to)
        << "record " << r.offset << " of " << *r.key << " should have been removed";
  }
  for (const auto& entry : latest) {
    int64_t offset = entry.second;
    bool kept = std::any_of(after.begin(), after.end(),
                            [offset](const stored_record& r) { return r.offset == offset; });
    EXPECT_TRUE(kept) << "the latest record of " << entry.first << " is gone";
  }
  size_t in_active = std::count_if(before.begin(), before.end(),
                                   [&](const stored_record& r) { return r.offset >= active_base; });
  EXPECT_EQ(std::count_if(after.begin(), after.end(),
                          [&](const stored_record& r) { return r.offset >= active_base; }),
            static_cast<long>(in_active))
      << "the active segment is never touched";
  EXPECT_FALSE(compact(*log).ran) << "nothing dirty: the next pass does nothing";
  sync_await(log->close());
  auto reopened = open_log();
  std::vector<stored_record> again = read_all(*reopened);
  ASSERT_EQ(again.size(), after.size()) << "the compacted log reopens as it was";
  sync_await(reopened->close());
}

TEST_F(compaction_test, tombstones_stay_for_delete_retention_then_go) {
  auto log = open_log();
  for (int i = 0; i < 40; ++i) put(*log, "gone", "v" + std::to_string(i));
  put(*log, "gone", std::nullopt);
  for (int i = 0; i < 100; ++i) put(*log, "other", "w" + std::to_string(i));  // rolls past it
  compaction_options o{.delete_retention_ms = 60000};
  compact(*log, o);
  auto records = read_all(*log);
  auto gone = std::count_if(records.begin(), records.end(),
                            [](const stored_record& r) { return r.key == "gone"; });
  EXPECT_EQ(gone, 1) << "only the tombstone is left of the key";
  now_ms_ += 60001;
  for (int i = 0; i < 60; ++i) put(*log, "other", "x" + std::to_string(i));
  compact(*log, o);
  records = read_all(*log);
  EXPECT_EQ(std::count_if(records.begin(), records.end(),
                          [](const stored_record& r) { return r.key == "gone"; }),
            0)
      << "an old tombstone goes";
  sync_await(log->close());
}

TEST_F(compaction_test, only_segments_below_the_bound_are_cleaned) {
  auto log = open_log();
  for (int i = 0; i < 200; ++i) put(*log, "k", "v" + std::to_string(i));
  compaction_options o{.clean_below = 0};
  EXPECT_FALSE(compact(*log, o).ran) << "nothing below the high watermark 0";
  sync_await(log->close());
}

TEST_F(compaction_test, a_rewrite_cut_short_by_a_crash_is_dropped_at_open) {
  auto log = open_log();
  for (int i = 0; i < 120; ++i) put(*log, "k" + std::to_string(i % 3), "v");
  auto before = read_all(*log);
  sync_await(log->close());
  std::string leftover = segment_path(options_.dir, 0, index_format::cleaning_suffix);
  auto fd = sync_await(io_.open(leftover, open_mode::create_read_write, direct_io::off));
  ASSERT_TRUE(fd.ok());
  std::vector<uint8_t> junk(100, 0x55);
  ASSERT_EQ(sync_await(io_.write_at(fd.value(), 0, junk)), io_errc::ok);
  (void)sync_await(io_.close(fd.value()));
  auto reopened = open_log();
  EXPECT_FALSE(io_.exists(leftover));
  EXPECT_EQ(read_all(*reopened).size(), before.size());
  sync_await(reopened->close());
}

}  // namespace
}  // namespace rill::storage
