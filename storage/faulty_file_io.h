// faulty_file_io: wraps another file_io and injects faults into it.
//
//   - fail_next(op, errc): the next operation of that kind fails with errc
//     and changes nothing (EIO, ENOSPC, ...).
//   - tear_next_write(bytes): the next write writes only its first `bytes`
//     bytes and then fails with io_error.
//   - random_faults(seed, one_in): every write and sync fails with EIO with
//     probability 1/one_in, from a seeded generator so a run replays.
//   - hold_writes(): writes wait, in flight, until release_writes() (a slow
//     disk: appends overlap as they do on a real one).
//   - fail_mutations(errc): until fail_mutations(io_errc::ok), every write,
//     sync, allocation and truncation fails with errc: a failed device
//     (EIO) or a full one (ENOSPC); reads still work.
// Everything else passes through; writes are counted (counts()). Single-
// threaded; does not own `inner`.
#pragma once

#include <coroutine>
#include <cstdint>
#include <deque>
#include <optional>
#include <random>

#include "storage/file_io.h"

namespace rill::storage {

enum class io_op : uint8_t { open, write, read, sync, allocate, truncate };

struct write_counts {
  uint64_t writes = 0;        // write_at calls, each half of a split write included
  uint64_t split_writes = 0;  // write_at_split calls
  uint64_t zero_writes = 0;   // write_at calls whose bytes are all zero
};

class faulty_file_io final : public file_io {
 public:
  explicit faulty_file_io(file_io* inner) : inner_(inner) {}

  void fail_next(io_op op, io_errc error) { next_failure_[static_cast<int>(op)] = error; }
  void tear_next_write(size_t bytes_kept) { tear_bytes_ = bytes_kept; }
  void random_faults(uint64_t seed, uint32_t one_in) {
    rng_.seed(seed);
    one_in_ = one_in;
  }
  void fail_mutations(io_errc error) { mutation_failure_ = error; }
  void hold_writes() { holding_writes_ = true; }
  // Lets every held write through (and the writes they start), then stops
  // holding.
  void release_writes();
  size_t held_writes() const { return held_.size(); }
  io_errc mutation_failure() const { return mutation_failure_; }
  void stop_faults();
  uint64_t faults_injected() const { return faults_injected_; }
  const write_counts& counts() const { return counts_; }

  task<result<int, io_errc>> open(std::string path, open_mode mode, direct_io direct) override;
  task<io_errc> close(int fd) override { return inner_->close(fd); }
  task<io_errc> write_at(int fd, uint64_t offset, std::span<const uint8_t> data) override;
  task<io_errc> write_at_split(int fd, uint64_t offset, std::span<const uint8_t> data,
                               size_t split) override;
  task<result<size_t, io_errc>> read_at(int fd, uint64_t offset, std::span<uint8_t> data) override;
  task<io_errc> sync(int fd) override;
  task<io_errc> allocate(int fd, uint64_t offset, uint64_t length) override;
  task<io_errc> truncate(int fd, uint64_t size) override;
  result<uint64_t, io_errc> file_size(int fd) override { return inner_->file_size(fd); }
  io_errc remove(const std::string& path) override { return inner_->remove(path); }
  io_errc remove_tree(const std::string& path) override { return inner_->remove_tree(path); }
  io_errc rename(const std::string& from, const std::string& to) override {
    return inner_->rename(from, to);
  }
  io_errc make_dirs(const std::string& path) override { return inner_->make_dirs(path); }
  result<std::vector<std::string>, io_errc> list_dir(const std::string& path) override {
    return inner_->list_dir(path);
  }
  io_errc sync_dir(const std::string& path) override { return inner_->sync_dir(path); }
  bool exists(const std::string& path) override { return inner_->exists(path); }

 private:
  // The injected error for this operation, or ok.
  io_errc take_fault(io_op op, bool random_eligible);

  file_io* inner_;
  std::optional<io_errc> next_failure_[6];
  std::optional<size_t> tear_bytes_;
  io_errc mutation_failure_ = io_errc::ok;
  bool holding_writes_ = false;
  std::deque<std::coroutine_handle<>> held_;
  std::mt19937_64 rng_;
  uint32_t one_in_ = 0;
  uint64_t faults_injected_ = 0;
  write_counts counts_;
};

}  // namespace rill::storage
