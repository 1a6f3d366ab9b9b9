// posix_file_io: file_io over plain blocking syscalls (pread, pwrite,
// fdatasync). The baseline the storage benchmarks compare io_uring with; its
// tasks complete before they return, blocking the calling thread.
#pragma once

#include "storage/file_io.h"

namespace rill::storage {

class posix_file_io final : public file_io {
 public:
  task<result<int, io_errc>> open(std::string path, open_mode mode, direct_io direct) override;
  task<io_errc> close(int fd) override;
  task<io_errc> write_at(int fd, uint64_t offset, std::span<const uint8_t> data) override;
  task<result<size_t, io_errc>> read_at(int fd, uint64_t offset, std::span<uint8_t> data) override;
  task<io_errc> sync(int fd) override;
  task<io_errc> allocate(int fd, uint64_t offset, uint64_t length) override;
  task<io_errc> truncate(int fd, uint64_t size) override;
  result<uint64_t, io_errc> file_size(int fd) override;
  io_errc remove(const std::string& path) override;
  io_errc remove_tree(const std::string& path) override;
  io_errc rename(const std::string& from, const std::string& to) override;
  io_errc make_dirs(const std::string& path) override;
  result<std::vector<std::string>, io_errc> list_dir(const std::string& path) override;
  io_errc sync_dir(const std::string& path) override;
  bool exists(const std::string& path) override;
};

}  // namespace rill::storage
