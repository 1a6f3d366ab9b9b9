#include "storage/uring/uring_file_io.h"

#include <gtest/gtest.h>

#include "platform/runtime/uring_op.h"
#include "storage/batch_builder.h"
#include "storage/partition_log.h"
#include "storage/testing/file_io_contract.h"
#include "tests/support/run_on_runtime.h"

namespace rill::storage {
namespace {

using storage::testing::file_io_contract_cases;

class uring_file_io_contract : public ::testing::TestWithParam<size_t> {};

TEST_P(uring_file_io_contract, holds) {
  storage::testing::scratch_dir scratch;
  const auto& c = file_io_contract_cases()[GetParam()];
  rill::testing::run_on_runtime({.shard_count = 1}, [&](runtime::runtime&) -> task<void> {
    uring_file_io io(*runtime::shard::current());
    co_await c.body(io, scratch.path());
  });
}

INSTANTIATE_TEST_SUITE_P(all, uring_file_io_contract,
                         ::testing::Range<size_t>(0, file_io_contract_cases().size()),
                         [](const ::testing::TestParamInfo<size_t>& info) {
                           return std::string(file_io_contract_cases()[info.param].name);
                         });

TEST(uring_partition_log, appends_with_o_direct_survive_a_reopen) {
  storage::testing::scratch_dir scratch;
  int64_t end_before = -1, end_after = -1;
  size_t batches_read = 0;
  rill::testing::run_on_runtime({.shard_count = 1}, [&](runtime::runtime&) -> task<void> {
    uring_file_io io(*runtime::shard::current());
    storage::log_options options{.dir = scratch.path() + "/t-0",
                                 .segment_bytes_max = 2 * 1024 * 1024};
    {
      auto log = std::move(co_await storage::partition_log::open(io, options)).value();
      for (int i = 0; i < 1000; ++i) {
        auto b = std::make_shared<std::vector<uint8_t>>(storage::build_filled_batch(
            {.base_timestamp_ms = 1}, 3, 1000, static_cast<uint32_t>(i)));
        auto r = co_await log->append(b, 1);
        EXPECT_TRUE(r.ok());
      }
      end_before = log->log_end_offset();
      co_await log->close();
    }
    auto log = std::move(co_await storage::partition_log::open(io, options)).value();
    end_after = log->log_end_offset();
    int64_t next = 0;
    while (next < end_after) {
      auto r = co_await log->read(next, 64 * 1024, INT64_MAX);
      if (!r.ok() || r.value().slices.empty()) break;
      for (const auto& s : r.value().slices) {
        size_t at = 0;
        while (at < s.bytes.size()) {
          storage::batch_view v(s.bytes.data() + at);
          next = v.last_offset() + 1;
          at += v.size_bytes();
          ++batches_read;
        }
      }
    }
    co_await log->close();
  });
  EXPECT_EQ(end_before, 3000);
  EXPECT_EQ(end_after, 3000);
  EXPECT_EQ(batches_read, 1000u);
}

// Eight concurrent writes under a limit; returns the peak in flight.
uint32_t write_eight(uint32_t limit) {
  storage::testing::scratch_dir scratch;
  std::vector<uint8_t> back(8 * 4096);
  disk_stats stats;
  rill::testing::run_on_runtime({.shard_count = 1}, [&](runtime::runtime&) -> task<void> {
    runtime::shard& s = *runtime::shard::current();
    uring_file_io io(s);
    io.set_writes_in_flight_max(limit);
    auto fd = co_await io.open(scratch.path() + "/f", storage::open_mode::create_read_write,
                               storage::direct_io::off);
    EXPECT_TRUE(fd.ok());
    int done = 0;
    std::vector<std::vector<uint8_t>> blocks;
    for (int i = 0; i < 8; ++i) blocks.emplace_back(4096, static_cast<uint8_t>('a' + i));
    for (int i = 0; i < 8; ++i) {
      spawn([](uring_file_io& io, int fd, int i, std::span<const uint8_t> b,
               int& done) -> task<void> {
        if (i % 2 == 0) {
          EXPECT_EQ(co_await io.write_at(fd, static_cast<uint64_t>(i) * 4096, b),
                    storage::io_errc::ok);
        } else {
          auto st = co_await io.write_and_sync(fd, static_cast<uint64_t>(i) * 4096, b);
          EXPECT_EQ(st.write, storage::io_errc::ok);
          EXPECT_EQ(st.sync, storage::io_errc::ok);
        }
        ++done;
      }(io, fd.value(), i, blocks[static_cast<size_t>(i)], done));
    }
    while (done < 8) co_await runtime::sleep_for(s, 1 * runtime::k_ns_per_ms);
    auto r = co_await io.read_at(fd.value(), 0, back);
    EXPECT_TRUE(r.ok());
    stats = io.stats();
    co_await io.close(fd.value());
  });
  size_t wrong = 0;
  for (size_t i = 0; i < back.size(); ++i) wrong += back[i] != 'a' + i / 4096 ? 1 : 0;
  EXPECT_EQ(wrong, 0u);
  EXPECT_EQ(stats.write_latency.count(), 4u);
  EXPECT_EQ(stats.sync_latency.count(), 4u);
  EXPECT_EQ(stats.bytes_written, 8u * 4096);
  EXPECT_EQ(stats.bytes_read, 8u * 4096);
  return stats.writes_in_flight_peak;
}

TEST(uring_file_io, a_write_limit_queues_writes_and_loses_none) {
  EXPECT_EQ(write_eight(1), 1u);
  EXPECT_EQ(write_eight(3), 3u);
  EXPECT_EQ(write_eight(0), 8u);  // no limit: all at once
}

}  // namespace
}  // namespace rill::storage
