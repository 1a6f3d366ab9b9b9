// file_io: every disk operation the storage engine performs, behind one
// interface with three implementations:
//   - uring_file_io (storage/uring): io_uring on the shard's ring; used
//     in production.
//   - posix_file_io: plain pread/pwrite/fdatasync; the baseline that the
//     benchmarks compare io_uring with.
//   - memory_file_io: in-memory files that remember what was synced, so a
//     simulated power cut can drop everything that was not.
//   - faulty_file_io wraps any of them and injects EIO/ENOSPC, torn writes
//     and seeded random faults.
// The same contract tests (storage/file_io_contract_test.cc) run on all.
//
// Data operations are asynchronous (task<>); metadata operations used only
// at start-up, roll and retention are synchronous. A file_io is used by one
// shard at a time. Durability: data is durable once sync() (or
// write_and_sync()) on its file returned ok; a file's existence and name are
// durable once sync_dir() on its directory returned ok.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/task.h"

namespace rill::storage {

enum class io_errc : uint8_t {
  ok = 0,
  not_found,
  already_exists,
  no_space,
  io_error,
  invalid_argument,
  other,
};
const char* io_errc_name(io_errc e);
io_errc io_errc_from_errno(int err);

enum class open_mode : uint8_t { read_only, read_write, create_read_write };
enum class direct_io : uint8_t { off, on };

class file_io {
 public:
  virtual ~file_io() = default;

  // Alignment that buffers, offsets and lengths must have for direct I/O.
  static constexpr size_t k_direct_alignment = 4096;

  virtual task<result<int, io_errc>> open(std::string path, open_mode mode, direct_io direct) = 0;
  virtual task<io_errc> close(int fd) = 0;
  // Writes all of data at offset, or fails.
  virtual task<io_errc> write_at(int fd, uint64_t offset, std::span<const uint8_t> data) = 0;
  // Writes data at offset as two writes, [0, split) and [split, end), that
  // may run concurrently; fails if either fails. For a range whose head
  // rewrites blocks already written and whose rest lands in fallocate'd
  // (unwritten) blocks: ext4 cannot start one direct write spanning both
  // without blocking on the inode lock, so io_uring would hand it to a
  // worker thread, while each half alone is issued inline.
  virtual task<io_errc> write_at_split(int fd, uint64_t offset, std::span<const uint8_t> data,
                                       size_t split);
  // Reads up to data.size() bytes; fewer only at end of file.
  virtual task<result<size_t, io_errc>> read_at(int fd, uint64_t offset,
                                                std::span<uint8_t> data) = 0;
  // fdatasync.
  virtual task<io_errc> sync(int fd) = 0;
  // Write then sync, ordered (io_uring links the two SQEs). Says which of
  // the two failed: a failed write loses nothing acknowledged, a failed sync
  // leaves the file's durability unknown.
  struct write_sync_status {
    io_errc write = io_errc::ok;
    io_errc sync = io_errc::ok;
    bool ok() const { return write == io_errc::ok && sync == io_errc::ok; }
  };
  virtual task<write_sync_status> write_and_sync(int fd, uint64_t offset,
                                                 std::span<const uint8_t> data);
  // Reserves blocks for [offset, offset + length) and extends the file.
  virtual task<io_errc> allocate(int fd, uint64_t offset, uint64_t length) = 0;
  virtual task<io_errc> truncate(int fd, uint64_t size) = 0;

  virtual result<uint64_t, io_errc> file_size(int fd) = 0;
  virtual io_errc remove(const std::string& path) = 0;
  // Removes a directory and everything under it (a replica this broker no
  // longer holds); a missing one is success. Not durable until the parent
  // directory is synced.
  virtual io_errc remove_tree(const std::string& path) = 0;
  virtual io_errc rename(const std::string& from, const std::string& to) = 0;
  virtual io_errc make_dirs(const std::string& path) = 0;
  virtual result<std::vector<std::string>, io_errc> list_dir(const std::string& path) = 0;
  virtual io_errc sync_dir(const std::string& path) = 0;
  virtual bool exists(const std::string& path) = 0;
};

}  // namespace rill::storage
