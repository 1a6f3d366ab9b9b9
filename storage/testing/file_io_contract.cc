#include "storage/testing/file_io_contract.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstring>
#include <filesystem>
#include <memory>

#include "storage/aligned_buffer.h"
#include "storage/page.h"

namespace rill::storage::testing {
namespace {

std::vector<uint8_t> pattern(size_t n, uint8_t seed) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(seed + i * 7);
  return v;
}

task<void> write_then_read_back(file_io& io, std::string dir) {
  auto fd = co_await io.open(dir + "/a", open_mode::create_read_write, direct_io::off);
  EXPECT_TRUE(fd.ok());
  if (!fd.ok()) co_return;
  auto data = pattern(10000, 1);
  EXPECT_EQ(co_await io.write_at(fd.value(), 0, data), io_errc::ok);
  EXPECT_EQ(co_await io.write_at(fd.value(), 10000, data), io_errc::ok);
  EXPECT_EQ(io.file_size(fd.value()).value(), 20000u);
  std::vector<uint8_t> back(10000);
  auto n = co_await io.read_at(fd.value(), 10000, back);
  EXPECT_EQ(n.value(), 10000u);
  EXPECT_EQ(back, data);
  EXPECT_EQ(co_await io.close(fd.value()), io_errc::ok);
}

task<void> read_past_end_is_short(file_io& io, std::string dir) {
  auto fd = co_await io.open(dir + "/a", open_mode::create_read_write, direct_io::off);
  auto data = pattern(100, 2);
  EXPECT_EQ(co_await io.write_at(fd.value(), 0, data), io_errc::ok);
  std::vector<uint8_t> back(500);
  EXPECT_EQ((co_await io.read_at(fd.value(), 50, back)).value(), 50u);
  EXPECT_EQ((co_await io.read_at(fd.value(), 100, back)).value(), 0u);
  (void)co_await io.close(fd.value());
}

task<void> missing_file_is_not_found(file_io& io, std::string dir) {
  auto fd = co_await io.open(dir + "/missing", open_mode::read_only, direct_io::off);
  EXPECT_FALSE(fd.ok());
  EXPECT_EQ(fd.error(), io_errc::not_found);
  EXPECT_FALSE(io.exists(dir + "/missing"));
}

task<void> direct_io_needs_alignment(file_io& io, std::string dir) {
  auto fd = co_await io.open(dir + "/d", open_mode::create_read_write, direct_io::on);
  EXPECT_TRUE(fd.ok());
  if (!fd.ok()) co_return;
  aligned_buffer buf(8192, file_io::k_direct_alignment);
  std::memset(buf.data(), 0xAB, 8192);
  EXPECT_EQ(co_await io.write_at(fd.value(), 4096, {buf.data(), 8192}), io_errc::ok);
  EXPECT_EQ(co_await io.write_at(fd.value(), 100, {buf.data(), 4096}), io_errc::invalid_argument);
  aligned_buffer back(4096, file_io::k_direct_alignment);
  EXPECT_EQ((co_await io.read_at(fd.value(), 8192, {back.data(), 4096})).value(), 4096u);
  EXPECT_EQ(back.data()[4095], 0xAB);
  (void)co_await io.close(fd.value());
}

task<void> write_and_sync_reports_both_parts(file_io& io, std::string dir) {
  auto fd = co_await io.open(dir + "/s", open_mode::create_read_write, direct_io::off);
  auto data = pattern(3000, 3);
  auto status = co_await io.write_and_sync(fd.value(), 0, data);
  EXPECT_TRUE(status.ok());
  EXPECT_EQ(co_await io.sync(fd.value()), io_errc::ok);
  std::vector<uint8_t> back(3000);
  EXPECT_EQ((co_await io.read_at(fd.value(), 0, back)).value(), 3000u);
  EXPECT_EQ(back, data);
  (void)co_await io.close(fd.value());
}

// The partition log's shape: the first page was written before, the rest
// lands in fallocate'd space; both halves read back, and a failing half
// fails the whole write.
task<void> split_write_lands_both_halves(file_io& io, std::string dir) {
  auto fd = co_await io.open(dir + "/w", open_mode::create_read_write, direct_io::on);
  EXPECT_TRUE(fd.ok());
  if (!fd.ok()) co_return;
  aligned_buffer buf(5 * k_page, k_page);
  auto first = pattern(k_page, 5);
  std::memcpy(buf.data(), first.data(), k_page);
  EXPECT_EQ(co_await io.write_at(fd.value(), k_page, {buf.data(), k_page}), io_errc::ok);
  EXPECT_EQ(co_await io.allocate(fd.value(), 2 * k_page, 16 * k_page), io_errc::ok);
  auto data = pattern(5 * k_page, 6);
  std::memcpy(buf.data(), data.data(), data.size());
  EXPECT_EQ(co_await io.write_at_split(fd.value(), k_page, {buf.data(), 5 * k_page}, k_page),
            io_errc::ok);
  aligned_buffer back(5 * k_page, k_page);
  EXPECT_EQ((co_await io.read_at(fd.value(), k_page, {back.data(), 5 * k_page})).value(),
            5 * k_page);
  EXPECT_EQ(std::memcmp(back.data(), data.data(), data.size()), 0);
  EXPECT_EQ(co_await io.write_at_split(fd.value(), 100, {buf.data(), 2 * k_page}, k_page),
            io_errc::invalid_argument);
  (void)co_await io.close(fd.value());
}

task<void> allocate_extends_and_truncate_shrinks(file_io& io, std::string dir) {
  auto fd = co_await io.open(dir + "/t", open_mode::create_read_write, direct_io::off);
  auto data = pattern(100, 4);
  EXPECT_EQ(co_await io.write_at(fd.value(), 0, data), io_errc::ok);
  EXPECT_EQ(co_await io.allocate(fd.value(), 100, 8092), io_errc::ok);
  EXPECT_EQ(io.file_size(fd.value()).value(), 8192u);
  std::vector<uint8_t> back(10);
  EXPECT_EQ((co_await io.read_at(fd.value(), 8000, back)).value(), 10u);
  EXPECT_EQ(back, std::vector<uint8_t>(10, 0));
  EXPECT_EQ(co_await io.truncate(fd.value(), 50), io_errc::ok);
  EXPECT_EQ(io.file_size(fd.value()).value(), 50u);
  (void)co_await io.close(fd.value());
}

task<void> directory_operations(file_io& io, std::string dir) {
  EXPECT_EQ(io.make_dirs(dir + "/x/y"), io_errc::ok);
  auto fd = co_await io.open(dir + "/x/y/f1", open_mode::create_read_write, direct_io::off);
  (void)co_await io.close(fd.value());
  EXPECT_EQ(io.rename(dir + "/x/y/f1", dir + "/x/y/f2"), io_errc::ok);
  auto names = io.list_dir(dir + "/x/y");
  EXPECT_EQ(names.value(), std::vector<std::string>{"f2"});
  EXPECT_EQ(io.sync_dir(dir + "/x/y"), io_errc::ok);
  EXPECT_EQ(io.remove(dir + "/x/y/f2"), io_errc::ok);
  EXPECT_FALSE(io.exists(dir + "/x/y/f2"));
  EXPECT_EQ(io.remove(dir + "/x/y/f2"), io_errc::not_found);
  // A whole tree goes at once; its siblings stay; a missing one is no error.
  EXPECT_EQ(io.make_dirs(dir + "/x/z"), io_errc::ok);
  auto kept = co_await io.open(dir + "/x/z/k", open_mode::create_read_write, direct_io::off);
  (void)co_await io.close(kept.value());
  auto gone = co_await io.open(dir + "/x/y/g", open_mode::create_read_write, direct_io::off);
  (void)co_await io.close(gone.value());
  EXPECT_EQ(io.remove_tree(dir + "/x/y"), io_errc::ok);
  EXPECT_FALSE(io.exists(dir + "/x/y/g"));
  EXPECT_FALSE(io.exists(dir + "/x/y"));
  EXPECT_TRUE(io.exists(dir + "/x/z/k"));
  EXPECT_EQ(io.remove_tree(dir + "/x/y"), io_errc::ok);
}

}  // namespace

const std::vector<contract_case>& file_io_contract_cases() {
  static const std::vector<contract_case> cases = {
      {"write_then_read_back", write_then_read_back},
      {"read_past_end_is_short", read_past_end_is_short},
      {"missing_file_is_not_found", missing_file_is_not_found},
      {"direct_io_needs_alignment", direct_io_needs_alignment},
      {"write_and_sync_reports_both_parts", write_and_sync_reports_both_parts},
      {"split_write_lands_both_halves", split_write_lands_both_halves},
      {"allocate_extends_and_truncate_shrinks", allocate_extends_and_truncate_shrinks},
      {"directory_operations", directory_operations},
  };
  return cases;
}

bool run_to_completion(task<void> t) {
  // The flag outlives this frame: a task that suspends finishes later.
  auto done = std::make_shared<bool>(false);
  spawn([](task<void> inner, std::shared_ptr<bool> flag) -> task<void> {
    co_await std::move(inner);
    *flag = true;
  }(std::move(t), done));
  return *done;
}

scratch_dir::scratch_dir() {
  std::string base = std::filesystem::temp_directory_path().string() + "/rill-test-XXXXXX";
  std::vector<char> name(base.begin(), base.end());
  name.push_back('\0');
  char* made = mkdtemp(name.data());
  EXPECT_NE(made, nullptr);
  path_ = made == nullptr ? std::string() : std::string(made);
}

scratch_dir::~scratch_dir() {
  if (!path_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
}

}  // namespace rill::storage::testing
