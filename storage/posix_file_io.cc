#include "storage/posix_file_io.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "storage/posix_metadata.h"

namespace rill::storage {

task<result<int, io_errc>> posix_file_io::open(std::string path, open_mode mode, direct_io direct) {
  int fd = ::open(path.c_str(), posix_metadata::open_flags(mode, direct), 0644);
  if (fd < 0) co_return io_errc_from_errno(errno);
  co_return fd;
}

task<io_errc> posix_file_io::close(int fd) {
  co_return ::close(fd) == 0 ? io_errc::ok : io_errc_from_errno(errno);
}

task<io_errc> posix_file_io::write_at(int fd, uint64_t offset, std::span<const uint8_t> data) {
  while (!data.empty()) {
    ssize_t n = ::pwrite(fd, data.data(), data.size(), static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) co_return io_errc_from_errno(errno);
    if (n == 0) co_return io_errc::io_error;
    data = data.subspan(static_cast<size_t>(n));
    offset += static_cast<uint64_t>(n);
  }
  co_return io_errc::ok;
}

task<result<size_t, io_errc>> posix_file_io::read_at(int fd, uint64_t offset,
                                                     std::span<uint8_t> data) {
  size_t total = 0;
  while (total < data.size()) {
    ssize_t n =
        ::pread(fd, data.data() + total, data.size() - total, static_cast<off_t>(offset + total));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) co_return io_errc_from_errno(errno);
    if (n == 0) break;
    total += static_cast<size_t>(n);
  }
  co_return total;
}

task<io_errc> posix_file_io::sync(int fd) {
  co_return ::fdatasync(fd) == 0 ? io_errc::ok : io_errc_from_errno(errno);
}

task<io_errc> posix_file_io::allocate(int fd, uint64_t offset, uint64_t length) {
  int rc = ::fallocate(fd, 0, static_cast<off_t>(offset), static_cast<off_t>(length));
  co_return rc == 0 ? io_errc::ok : io_errc_from_errno(errno);
}

task<io_errc> posix_file_io::truncate(int fd, uint64_t size) {
  co_return ::ftruncate(fd, static_cast<off_t>(size)) == 0 ? io_errc::ok
                                                           : io_errc_from_errno(errno);
}

result<uint64_t, io_errc> posix_file_io::file_size(int fd) {
  return posix_metadata::file_size(fd);
}
io_errc posix_file_io::remove(const std::string& path) {
  return posix_metadata::remove(path);
}
io_errc posix_file_io::remove_tree(const std::string& path) {
  return posix_metadata::remove_tree(path);
}
io_errc posix_file_io::rename(const std::string& from, const std::string& to) {
  return posix_metadata::rename(from, to);
}
io_errc posix_file_io::make_dirs(const std::string& path) {
  return posix_metadata::make_dirs(path);
}
result<std::vector<std::string>, io_errc> posix_file_io::list_dir(const std::string& path) {
  return posix_metadata::list_dir(path);
}
io_errc posix_file_io::sync_dir(const std::string& path) {
  return posix_metadata::sync_dir(path);
}
bool posix_file_io::exists(const std::string& path) {
  return posix_metadata::exists(path);
}

}  // namespace rill::storage
