// The logs' memory as a shard budget: staging buffers sized to the writes and
// given back when a log goes idle, hot tails evicted least recently read
// first, back-pressure instead of growth - and appends still in call order
// when some of them wait (writes held in flight by faulty_file_io).
#include <gtest/gtest.h>

#include "storage/batch_builder.h"
#include "storage/faulty_file_io.h"
#include "storage/memory_file_io.h"
#include "storage/page.h"
#include "storage/partition_log.h"
#include "storage/testing/file_io_contract.h"

namespace rill::storage {
namespace {

using testing::sync_await;

batch_bytes make_batch(int records, size_t value_bytes, uint32_t seed = 0) {
  return std::make_shared<std::vector<uint8_t>>(
      build_filled_batch({.base_timestamp_ms = 1000}, records, value_bytes, seed));
}

class partition_log_memory_test : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(memory_.make_dirs("/data"), io_errc::ok); }

  log_options options(const std::string& name) {
    return {.dir = "/data/" + name,
            .segment_bytes_max = 8 << 20,
            .preallocate_bytes = 0,
            .sync_policy = durability::sync_interval,
            .batch_bytes_max = 256 * 1024,
            .staging = &pool_,
            .hot_tails = &hot_tails_};
  }
  std::unique_ptr<partition_log> open_log(const std::string& name) {
    auto r = sync_await(partition_log::open(io_, options(name)));
    EXPECT_TRUE(r.ok());
    return r.ok() ? std::move(r).value() : nullptr;
  }
  std::vector<uint32_t> read_seeds(partition_log& log) {
    std::vector<uint32_t> seeds;
    auto r = sync_await(log.read(0, 64 << 20, INT64_MAX));
    EXPECT_TRUE(r.ok());
    for (const batch_slice& s : r.value().slices) {
      size_t at = 0;
      while (at < s.bytes.size()) {
        batch_view v(s.bytes.data() + at);
        seeds.push_back(static_cast<uint32_t>(v.max_timestamp()));
        at += v.size_bytes();
      }
    }
    return seeds;
  }

  memory_file_io memory_;
  faulty_file_io io_{&memory_};  // holds writes in flight when asked
  staging_pool pool_{512 * 1024, 1 << 20};
  hot_tail_cache hot_tails_{256 * 1024};
};

TEST_F(partition_log_memory_test, an_idle_log_keeps_one_page_of_staging) {
  auto log = open_log("idle-0");
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(sync_await(log->append(make_batch(10, 3000), 0)).ok());
  }
  EXPECT_EQ(pool_.out_bytes(), 0u) << "working buffers still out after the writes";
  EXPECT_EQ(pool_.page_bytes(), k_page);
  sync_await(log->close());
}

TEST_F(partition_log_memory_test, a_log_holds_one_descriptor_until_a_read_needs_the_disk) {
  auto log = open_log("fds-0");
  ASSERT_TRUE(sync_await(log->append(make_batch(10, 3000), 0)).ok());
  EXPECT_EQ(memory_.open_descriptor_count(), 1u) << "the active segment's write descriptor only";
  sync_await(log->close());
  auto reopened = open_log("fds-0");
  EXPECT_EQ(memory_.open_descriptor_count(), 1u) << "recovery closed what it read with";
  auto cold = sync_await(reopened->read(0, 1 << 20, INT64_MAX));
  ASSERT_TRUE(cold.ok());
  EXPECT_FALSE(cold.value().from_memory);
  EXPECT_EQ(cold.value().slices.size(), 1u);
  EXPECT_EQ(memory_.open_descriptor_count(), 2u);
  // A one-off scan (a replica restoring its producers at start) gives its
  // descriptor back; the next read opens one again.
  sync_await(reopened->release_read_descriptors());
  EXPECT_EQ(memory_.open_descriptor_count(), 1u);
  ASSERT_TRUE(sync_await(reopened->read(0, 1 << 20, INT64_MAX)).ok());
  EXPECT_EQ(memory_.open_descriptor_count(), 2u);
  sync_await(reopened->close());
  EXPECT_EQ(memory_.open_descriptor_count(), 0u);
}

TEST_F(partition_log_memory_test, hot_tails_beyond_the_budget_leave_the_least_recently_read_log) {
  auto read_often = open_log("read-0");
  auto never_read = open_log("unread-0");
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(sync_await(read_often->append(make_batch(10, 2000), 0)).ok());
  }
  ASSERT_TRUE(sync_await(read_often->read(0, 1 << 20, INT64_MAX)).value().from_memory);
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE(sync_await(never_read->append(make_batch(10, 2000), 0)).ok());
    (void)sync_await(read_often->read(0, 1 << 20, INT64_MAX));
  }
  EXPECT_LE(hot_tails_.bytes(), hot_tails_.budget_bytes());
  EXPECT_GT(hot_tails_.evicted_bytes(), 0u);
  auto again = sync_await(read_often->read(0, 1 << 20, INT64_MAX));
  EXPECT_TRUE(again.value().from_memory) << "the log being read lost its tail first";
  // What left memory is read back from the disk, whole.
  auto cold = sync_await(never_read->read(0, 1 << 20, INT64_MAX));
  ASSERT_TRUE(cold.ok());
  EXPECT_FALSE(cold.value().from_memory);
  EXPECT_GT(cold.value().bytes, 0u);
  sync_await(read_often->close());
  sync_await(never_read->close());
}

TEST_F(partition_log_memory_test, appends_over_the_staging_budget_wait_and_keep_their_order) {
  std::vector<std::unique_ptr<partition_log>> logs;
  for (int i = 0; i < 3; ++i) logs.push_back(open_log("busy-" + std::to_string(i)));
  io_.hold_writes();
  // Mixed sizes, 10 B to 200 KiB, so that small appends could pass big ones.
  const size_t sizes[] = {10, 200 * 1024, 100, 150 * 1024, 10, 90 * 1024, 30, 180 * 1024};
  int done = 0;
  int failed = 0;
  for (uint32_t n = 0; n < 48; ++n) {
    partition_log& log = *logs[n % 3];
    auto batch = std::make_shared<std::vector<uint8_t>>(
        build_filled_batch({.base_timestamp_ms = n}, 1, sizes[n % 8], n));
    spawn([](partition_log& log, batch_bytes b, int& done, int& failed) -> task<void> {
      auto r = co_await log.append(std::move(b), 0);
      (r.ok() ? done : failed)++;
    }(log, std::move(batch), done, failed));
    EXPECT_LE(pool_.out_bytes(), pool_.budget_bytes() + (256 * 1024 * 2 + 2 * k_page));
  }
  EXPECT_GT(pool_.waits(), 0u) << "the budget never made an append wait";
  while (io_.held_writes() > 0) io_.release_writes();
  EXPECT_EQ(done, 48);
  EXPECT_EQ(failed, 0);
  for (int i = 0; i < 3; ++i) {
    std::vector<uint32_t> seeds = read_seeds(*logs[static_cast<size_t>(i)]);
    ASSERT_EQ(seeds.size(), 16u);
    for (size_t k = 0; k < seeds.size(); ++k) {
      EXPECT_EQ(seeds[k], static_cast<uint32_t>(i + 3 * static_cast<int>(k))) << "log " << i;
    }
  }
  for (auto& log : logs) sync_await(log->close());
  EXPECT_EQ(pool_.out_bytes(), 0u);
}

}  // namespace
}  // namespace rill::storage
