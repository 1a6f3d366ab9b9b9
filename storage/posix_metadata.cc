#include "storage/posix_metadata.h"

#include <filesystem>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

namespace rill::storage::posix_metadata {

result<uint64_t, io_errc> file_size(int fd) {
  struct stat st {};
  if (fstat(fd, &st) != 0) return io_errc_from_errno(errno);
  return static_cast<uint64_t>(st.st_size);
}

io_errc remove(const std::string& path) {
  return ::unlink(path.c_str()) == 0 ? io_errc::ok : io_errc_from_errno(errno);
}

io_errc remove_tree(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
  return ec ? io_errc_from_errno(ec.value()) : io_errc::ok;
}

io_errc rename(const std::string& from, const std::string& to) {
  return ::rename(from.c_str(), to.c_str()) == 0 ? io_errc::ok : io_errc_from_errno(errno);
}

io_errc make_dirs(const std::string& path) {
  std::string partial;
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    partial = path.substr(0, pos);
    if (partial.empty()) continue;
    if (::mkdir(partial.c_str(), 0755) != 0 && errno != EEXIST) return io_errc_from_errno(errno);
  }
  return io_errc::ok;
}

result<std::vector<std::string>, io_errc> list_dir(const std::string& path) {
  DIR* dir = opendir(path.c_str());
  if (dir == nullptr) return io_errc_from_errno(errno);
  std::vector<std::string> names;
  while (dirent* e = readdir(dir)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
  }
  closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

io_errc sync_dir(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return io_errc_from_errno(errno);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  return rc == 0 ? io_errc::ok : io_errc_from_errno(err);
}

bool exists(const std::string& path) {
  return ::access(path.c_str(), F_OK) == 0;
}

int open_flags(open_mode mode, direct_io direct) {
  int flags = O_CLOEXEC;
  switch (mode) {
    case open_mode::read_only:
      flags |= O_RDONLY;
      break;
    case open_mode::read_write:
      flags |= O_RDWR;
      break;
    case open_mode::create_read_write:
      flags |= O_RDWR | O_CREAT;
      break;
  }
  if (direct == direct_io::on) flags |= O_DIRECT;
  return flags;
}

}  // namespace rill::storage::posix_metadata
