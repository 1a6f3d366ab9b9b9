#include "dataplane/runtime/uring_file_io.h"

#include <gtest/gtest.h>

#include "storage/batch_builder.h"
#include "storage/partition_log.h"
#include "storage/testing/file_io_contract.h"
#include "tests/support/run_on_runtime.h"

namespace rill::runtime {
namespace {

using storage::testing::file_io_contract_cases;

class uring_file_io_contract : public ::testing::TestWithParam<size_t> {};

TEST_P(uring_file_io_contract, holds) {
  storage::testing::scratch_dir scratch;
  const auto& c = file_io_contract_cases()[GetParam()];
  testing::run_on_runtime({.shard_count = 1}, [&](runtime&) -> task<void> {
    uring_file_io io(*shard::current());
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
  testing::run_on_runtime({.shard_count = 1}, [&](runtime&) -> task<void> {
    uring_file_io io(*shard::current());
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

}  // namespace
}  // namespace rill::runtime
