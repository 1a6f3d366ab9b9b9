// Faults, power cuts and group commit of the partition log.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "base/waiter_list.h"
#include "storage/batch_builder.h"
#include "storage/faulty_file_io.h"
#include "storage/index_format.h"
#include "storage/memory_file_io.h"
#include "storage/partition_log.h"
#include "storage/testing/file_io_contract.h"

namespace rill::storage {
namespace {

using testing::run_to_completion;
using testing::sync_await;

batch_bytes make_batch(int records, size_t value_bytes, uint32_t seed = 0) {
  return std::make_shared<std::vector<uint8_t>>(
      build_filled_batch({.base_timestamp_ms = 1000}, records, value_bytes, seed));
}

// Holds every write until the test opens the gate, so appends pile up the
// way concurrent producers' do.
class gated_file_io final : public file_io {
 public:
  explicit gated_file_io(file_io* inner) : inner_(inner) {}
  bool closed = true;
  waiter_list gate;
  int writes = 0;
  int syncs = 0;

  task<result<int, io_errc>> open(std::string p, open_mode m, direct_io d) override {
    return inner_->open(std::move(p), m, d);
  }
  task<io_errc> close(int fd) override { return inner_->close(fd); }
  task<io_errc> write_at(int fd, uint64_t off, std::span<const uint8_t> data) override {
    while (closed) co_await gate.wait();
    ++writes;
    co_return co_await inner_->write_at(fd, off, data);
  }
  task<write_sync_status> write_and_sync(int fd, uint64_t off,
                                         std::span<const uint8_t> data) override {
    while (closed) co_await gate.wait();
    ++writes;
    ++syncs;
    co_return co_await inner_->write_and_sync(fd, off, data);
  }
  task<result<size_t, io_errc>> read_at(int fd, uint64_t off, std::span<uint8_t> d) override {
    return inner_->read_at(fd, off, d);
  }
  task<io_errc> sync(int fd) override {
    ++syncs;
    return inner_->sync(fd);
  }
  task<io_errc> allocate(int fd, uint64_t o, uint64_t l) override {
    return inner_->allocate(fd, o, l);
  }
  task<io_errc> truncate(int fd, uint64_t s) override { return inner_->truncate(fd, s); }
  result<uint64_t, io_errc> file_size(int fd) override { return inner_->file_size(fd); }
  io_errc remove(const std::string& p) override { return inner_->remove(p); }
  io_errc remove_tree(const std::string& p) override { return inner_->remove_tree(p); }
  io_errc rename(const std::string& a, const std::string& b) override {
    return inner_->rename(a, b);
  }
  io_errc make_dirs(const std::string& p) override { return inner_->make_dirs(p); }
  result<std::vector<std::string>, io_errc> list_dir(const std::string& p) override {
    return inner_->list_dir(p);
  }
  io_errc sync_dir(const std::string& p) override { return inner_->sync_dir(p); }
  bool exists(const std::string& p) override { return inner_->exists(p); }

 private:
  file_io* inner_;
};

task<void> append_into(partition_log* log, batch_bytes b, std::vector<int64_t>* offsets) {
  auto r = co_await log->append(std::move(b), 0);
  offsets->push_back(r.ok() ? r.value().base_offset : -1);
}

TEST(partition_log_group_commit, concurrent_appends_share_one_write_and_fsync) {
  memory_file_io memory;
  ASSERT_EQ(memory.make_dirs("/d"), io_errc::ok);
  gated_file_io gated(&memory);
  gated.closed = false;
  auto log = sync_await(partition_log::open(gated, {.dir = "/d/p"})).value();
  gated.closed = true;
  std::vector<int64_t> offsets;
  for (int i = 0; i < 10; ++i) {
    EXPECT_FALSE(run_to_completion(append_into(log.get(), make_batch(1, 100), &offsets)));
  }
  EXPECT_TRUE(offsets.empty());  // Nothing is acknowledged before its fsync.
  gated.closed = false;
  gated.gate.notify_all();
  ASSERT_EQ(offsets.size(), 10u);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(offsets[i], i);
  // The first append's write was already waiting; the other nine share one.
  EXPECT_EQ(log->counters().syncs, 2u);
  EXPECT_EQ(log->counters().writes, 2u);
  EXPECT_EQ(log->counters().appends, 10u);
  sync_await(log->close());
}

// After a power cut at a random point, every append reported durable is
// present and intact, and the log is a contiguous run of valid batches.
// Under the interval policy an append is durable once a later flush()
// returned ok; the test flushes after a random few appends.
void power_cut_run(uint64_t seed, power_cut_mode mode, preallocation method,
                   durability policy = durability::sync_each) {
  std::mt19937_64 rng(seed);
  memory_file_io memory;
  ASSERT_EQ(memory.make_dirs("/d"), io_errc::ok);
  faulty_file_io faulty(&memory);
  log_options options{.dir = "/d/p",
                      .segment_bytes_max = 32 * 1024,
                      .preallocate_bytes = 8192,
                      .preallocate_method = method,
                      // adaptive: the random batch sizes move the average
                      // across the bound, so zeroing starts and stops.
                      .zero_fill_below_write_bytes = 6 * 1024,
                      .sync_policy = policy,
                      .batch_bytes_max = 16 * 1024};
  std::map<int64_t, std::vector<uint8_t>> acked;    // base offset -> stored bytes
  std::map<int64_t, std::vector<uint8_t>> written;  // acked, waiting for a flush
  {
    auto log = sync_await(partition_log::open(faulty, options)).value();
    faulty.random_faults(seed, 25);
    int appends = static_cast<int>(rng() % 60) + 1;
    for (int i = 0; i < appends; ++i) {
      auto b = make_batch(static_cast<int>(rng() % 4) + 1, rng() % 3000, static_cast<uint32_t>(i));
      auto r = sync_await(log->append(b, 1));
      if (r.ok()) (policy == durability::sync_each ? acked : written)[r.value().base_offset] = *b;
      if (policy != durability::sync_each && rng() % 4 == 0 &&
          sync_await(log->flush()) == log_errc::ok) {
        acked.merge(written);
        written.clear();
      }
      if (log->offline()) break;
    }
    faulty.stop_faults();
    // The process dies here: no close(), descriptors vanish.
    memory.power_cut(mode, seed);
    log.reset();  // The crashed process never closes its log; its descriptors are gone.
  }
  auto reopened = sync_await(partition_log::open(memory, options));
  ASSERT_TRUE(reopened.ok()) << "seed " << seed;
  auto& log = *reopened.value();
  for (const auto& [offset, bytes] : acked) {
    auto r = sync_await(log.read(offset, bytes.size(), INT64_MAX));
    ASSERT_TRUE(r.ok()) << "seed " << seed << " offset " << offset;
    ASSERT_FALSE(r.value().slices.empty()) << "seed " << seed << " lost offset " << offset;
    auto got = r.value().slices[0].bytes.first(bytes.size());
    ASSERT_TRUE(std::equal(got.begin(), got.end(), bytes.begin()))
        << "seed " << seed << " offset " << offset << " read the batch at "
        << batch_view(got.data()).base_offset();
  }
  sync_await(log.close());
}

// Every way of preparing space ahead: zeros written by the background
// filler, fallocate, and fallocate with zeros ahead of small writes.
class partition_log_power_cut : public ::testing::TestWithParam<preallocation> {};

TEST_P(partition_log_power_cut, acknowledged_appends_survive_dropped_unsynced_data) {
  for (uint64_t seed = 1; seed <= 120; ++seed)
    power_cut_run(seed, power_cut_mode::drop_unsynced, GetParam());
}

TEST_P(partition_log_power_cut, acknowledged_appends_survive_torn_unsynced_writes) {
  for (uint64_t seed = 1; seed <= 120; ++seed)
    power_cut_run(seed, power_cut_mode::keep_random_prefix, GetParam());
}

// Interval policy: an append is durable after a flush(). With fallocate the
// carried tail page and the new pages go as two writes (write_at_split);
// a segment finished by a roll must be synced before the next flush() can
// claim its appends (finalize_segment).
TEST_P(partition_log_power_cut, flushed_appends_survive_dropped_unsynced_data) {
  for (uint64_t seed = 1; seed <= 120; ++seed)
    power_cut_run(seed, power_cut_mode::drop_unsynced, GetParam(), durability::sync_interval);
}

TEST_P(partition_log_power_cut, flushed_appends_survive_torn_unsynced_writes) {
  for (uint64_t seed = 1; seed <= 120; ++seed)
    power_cut_run(seed, power_cut_mode::keep_random_prefix, GetParam(), durability::sync_interval);
}

INSTANTIATE_TEST_SUITE_P(preallocation, partition_log_power_cut,
                         ::testing::Values(preallocation::zero_fill, preallocation::fallocate,
                                           preallocation::adaptive),
                         [](const ::testing::TestParamInfo<preallocation>& info) {
                           return std::string(preallocation_name(info.param));
                         });

class partition_log_faults : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(memory_.make_dirs("/d"), io_errc::ok);
    log_ = sync_await(partition_log::open(faulty_, options_)).value();
  }
  void TearDown() override { sync_await(log_->close()); }

  memory_file_io memory_;
  faulty_file_io faulty_{&memory_};
  log_options options_{.dir = "/d/p", .preallocate_bytes = 0, .batch_bytes_max = 8 * 1024};
  std::unique_ptr<partition_log> log_;
};

TEST_F(partition_log_faults, failed_write_fails_the_append_and_leaves_no_gap) {
  ASSERT_TRUE(sync_await(log_->append(make_batch(2, 100), 0)).ok());
  faulty_.fail_next(io_op::write, io_errc::io_error);
  EXPECT_EQ(sync_await(log_->append(make_batch(2, 100), 0)).error(), log_errc::storage_error);
  EXPECT_EQ(log_->log_end_offset(), 2);
  auto r = sync_await(log_->append(make_batch(1, 100), 0));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().base_offset, 2);
  EXPECT_EQ(sync_await(log_->read(0, 1 << 20, INT64_MAX)).value().slices.size(), 2u);
}

TEST_F(partition_log_faults, full_disk_fails_the_append_until_space_returns) {
  ASSERT_TRUE(sync_await(log_->append(make_batch(1, 100), 0)).ok());
  memory_.set_capacity_bytes(memory_.contents("/d/p/00000000000000000000.log").size() + 100);
  EXPECT_EQ(sync_await(log_->append(make_batch(5, 1000), 0)).error(), log_errc::no_space);
  memory_.set_capacity_bytes(UINT64_MAX);
  auto r = sync_await(log_->append(make_batch(5, 1000), 0));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().base_offset, 1);
}

TEST(partition_log_zero_fill, full_disk_while_filling_fails_the_append_until_space_returns) {
  memory_file_io memory;
  ASSERT_EQ(memory.make_dirs("/d"), io_errc::ok);
  log_options options{.dir = "/d/p",
                      .preallocate_bytes = 64 * 1024,
                      .preallocate_method = preallocation::zero_fill,
                      .batch_bytes_max = 16 * 1024};
  auto log = sync_await(partition_log::open(memory, options)).value();
  auto first = make_batch(1, 100);
  ASSERT_TRUE(sync_await(log->append(first, 0)).ok());
  const std::string file = "/d/p/00000000000000000000.log";
  EXPECT_GE(memory.contents(file).size(), 64u * 1024) << "zeros were written ahead";
  // Fill the prepared space, then leave no room for more zeros.
  memory.set_capacity_bytes(memory.contents(file).size() + 1000);
  int appended = 1;
  log_errc error = log_errc::ok;
  for (int i = 0; i < 100 && error == log_errc::ok; ++i) {
    auto r = sync_await(log->append(make_batch(4, 1000), 0));
    if (r.ok()) appended += 4;
    if (!r.ok()) error = r.error();
  }
  EXPECT_EQ(error, log_errc::no_space);
  EXPECT_FALSE(log->offline());
  memory.set_capacity_bytes(UINT64_MAX);
  auto r = sync_await(log->append(make_batch(1, 100), 0));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().base_offset, appended);
  sync_await(log->close());
  // Everything acknowledged is there after reopening; the zeros are cut.
  auto reopened = sync_await(partition_log::open(memory, options)).value();
  EXPECT_EQ(reopened->log_end_offset(), appended + 1);
  auto read = sync_await(reopened->read(0, 1 << 20, INT64_MAX)).value();
  ASSERT_FALSE(read.slices.empty());
  EXPECT_TRUE(std::equal(first->begin(), first->end(), read.slices[0].bytes.begin()));
  sync_await(reopened->close());
}

TEST_F(partition_log_faults, failed_fsync_is_never_acknowledged_and_takes_the_log_offline) {
  ASSERT_TRUE(sync_await(log_->append(make_batch(1, 100), 0)).ok());
  faulty_.fail_next(io_op::sync, io_errc::io_error);
  EXPECT_EQ(sync_await(log_->append(make_batch(1, 100), 0)).error(), log_errc::log_offline);
  EXPECT_TRUE(log_->offline());
  EXPECT_EQ(sync_await(log_->append(make_batch(1, 100), 0)).error(), log_errc::log_offline);
  // Durable data stays readable.
  EXPECT_EQ(sync_await(log_->read(0, 1 << 20, 1)).value().slices.size(), 1u);
}

TEST_F(partition_log_faults, torn_write_is_cut_on_recovery) {
  ASSERT_TRUE(sync_await(log_->append(make_batch(1, 100), 0)).ok());
  faulty_.tear_next_write(4096 + 512);
  EXPECT_FALSE(sync_await(log_->append(make_batch(5, 3000), 0)).ok());
  memory_.power_cut(power_cut_mode::drop_unsynced, 1);
  log_.reset();  // crashed: never closed
  log_ = sync_await(partition_log::open(memory_, options_)).value();
  EXPECT_EQ(log_->log_end_offset(), 1);
}

TEST_F(partition_log_faults, nothing_after_a_corrupt_point_is_served_after_recovery) {
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(sync_await(log_->append(make_batch(1, 500), 0)).ok());
  // A crash (every append was synced): recovery scans the active segment.
  // After a clean close it would trust it (the clean-shutdown marker), and
  // the corrupt batch would surface at the first read of it instead.
  log_.reset();
  auto file = memory_.contents("/d/p/00000000000000000000.log");
  size_t fourth = 0;
  for (int i = 0; i < 4; ++i) fourth += batch_view(file.data() + fourth).size_bytes();
  uint8_t junk[3] = {0xde, 0xad, 0xbe};
  memory_.corrupt("/d/p/00000000000000000000.log", fourth + 100, junk);
  log_ = sync_await(partition_log::open(memory_, options_)).value();
  EXPECT_EQ(log_->log_end_offset(), 4);
  EXPECT_EQ(sync_await(log_->read(4, 1 << 20, INT64_MAX)).value().slices.size(), 0u);
  EXPECT_EQ(sync_await(log_->append(make_batch(1, 10), 0)).value().base_offset, 4);
}

TEST_F(partition_log_faults, damaged_index_of_a_closed_segment_is_rebuilt) {
  sync_await(log_->close());
  options_.segment_bytes_max = 16 * 1024;
  log_ = sync_await(partition_log::open(faulty_, options_)).value();
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(sync_await(log_->append(make_batch(1, 1000), 0)).ok());
  ASSERT_GT(log_->segment_count(), 1u);
  sync_await(log_->close());
  uint8_t junk[5] = {1, 2, 3, 4, 5};
  memory_.corrupt(std::string("/d/p/00000000000000000000") + index_format::offset_index_suffix, 0,
                  junk);
  log_ = sync_await(partition_log::open(faulty_, options_)).value();
  EXPECT_EQ(log_->log_end_offset(), 30);
  auto r = sync_await(log_->read(7, 1, INT64_MAX));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(batch_view(r.value().slices[0].bytes.data()).base_offset(), 7);
}

}  // namespace
}  // namespace rill::storage
