#include "storage/faulty_file_io.h"

#include <algorithm>

namespace rill::storage {

void faulty_file_io::stop_faults() {
  for (auto& f : next_failure_) f.reset();
  tear_bytes_.reset();
  one_in_ = 0;
  mutation_failure_ = io_errc::ok;
}

io_errc faulty_file_io::take_fault(io_op op, bool random_eligible) {
  bool mutation =
      op == io_op::write || op == io_op::sync || op == io_op::allocate || op == io_op::truncate;
  if (mutation && mutation_failure_ != io_errc::ok) {
    ++faults_injected_;
    return mutation_failure_;
  }
  auto& slot = next_failure_[static_cast<int>(op)];
  if (slot.has_value()) {
    io_errc e = *slot;
    slot.reset();
    ++faults_injected_;
    return e;
  }
  if (random_eligible && one_in_ > 0 && rng_() % one_in_ == 0) {
    ++faults_injected_;
    return io_errc::io_error;
  }
  return io_errc::ok;
}

task<result<int, io_errc>> faulty_file_io::open(std::string path, open_mode mode,
                                                direct_io direct) {
  io_errc e = take_fault(io_op::open, false);
  if (e != io_errc::ok) co_return e;
  co_return co_await inner_->open(std::move(path), mode, direct);
}

task<io_errc> faulty_file_io::write_at_split(int fd, uint64_t offset, std::span<const uint8_t> data,
                                             size_t split) {
  ++counts_.split_writes;
  co_return co_await file_io::write_at_split(fd, offset, data, split);
}

void faulty_file_io::release_writes() {
  holding_writes_ = false;
  while (!held_.empty()) {
    std::coroutine_handle<> h = held_.front();
    held_.pop_front();
    h.resume();
  }
}

task<io_errc> faulty_file_io::write_at(int fd, uint64_t offset, std::span<const uint8_t> data) {
  struct hold {
    faulty_file_io* io;
    bool await_ready() const noexcept { return !io->holding_writes_; }
    void await_suspend(std::coroutine_handle<> h) { io->held_.push_back(h); }
    void await_resume() const noexcept {}
  };
  co_await hold{this};
  ++counts_.writes;
  if (std::all_of(data.begin(), data.end(), [](uint8_t b) { return b == 0; }))
    ++counts_.zero_writes;
  if (tear_bytes_.has_value()) {
    size_t kept = std::min(*tear_bytes_, data.size());
    tear_bytes_.reset();
    ++faults_injected_;
    // A torn write: part of it reaches the file, then the device fails.
    (void)co_await inner_->write_at(fd, offset, data.first(kept));
    co_return io_errc::io_error;
  }
  io_errc e = take_fault(io_op::write, true);
  if (e != io_errc::ok) co_return e;
  co_return co_await inner_->write_at(fd, offset, data);
}

task<result<size_t, io_errc>> faulty_file_io::read_at(int fd, uint64_t offset,
                                                      std::span<uint8_t> data) {
  io_errc e = take_fault(io_op::read, false);
  if (e != io_errc::ok) co_return e;
  co_return co_await inner_->read_at(fd, offset, data);
}

task<io_errc> faulty_file_io::sync(int fd) {
  io_errc e = take_fault(io_op::sync, true);
  if (e != io_errc::ok) co_return e;
  co_return co_await inner_->sync(fd);
}

task<io_errc> faulty_file_io::allocate(int fd, uint64_t offset, uint64_t length) {
  io_errc e = take_fault(io_op::allocate, false);
  if (e != io_errc::ok) co_return e;
  co_return co_await inner_->allocate(fd, offset, length);
}

task<io_errc> faulty_file_io::truncate(int fd, uint64_t size) {
  io_errc e = take_fault(io_op::truncate, false);
  if (e != io_errc::ok) co_return e;
  co_return co_await inner_->truncate(fd, size);
}

}  // namespace rill::storage
