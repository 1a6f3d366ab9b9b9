#include "storage/file_io.h"

#include <cerrno>

namespace rill::storage {

const char* io_errc_name(io_errc e) {
  switch (e) {
    case io_errc::ok:
      return "ok";
    case io_errc::not_found:
      return "not found";
    case io_errc::already_exists:
      return "already exists";
    case io_errc::no_space:
      return "no space left on device";
    case io_errc::io_error:
      return "I/O error";
    case io_errc::invalid_argument:
      return "invalid argument";
    case io_errc::other:
      return "other error";
  }
  return "?";
}

io_errc io_errc_from_errno(int err) {
  switch (err) {
    case 0:
      return io_errc::ok;
    case ENOENT:
      return io_errc::not_found;
    case EEXIST:
      return io_errc::already_exists;
    case ENOSPC:
    case EDQUOT:
      return io_errc::no_space;
    case EIO:
      return io_errc::io_error;
    case EINVAL:
      return io_errc::invalid_argument;
    default:
      return io_errc::other;
  }
}

task<io_errc> file_io::write_at_split(int fd, uint64_t offset, std::span<const uint8_t> data,
                                      size_t split) {
  io_errc e = co_await write_at(fd, offset, data.first(split));
  if (e != io_errc::ok) co_return e;
  co_return co_await write_at(fd, offset + split, data.subspan(split));
}

task<file_io::write_sync_status> file_io::write_and_sync(int fd, uint64_t offset,
                                                         std::span<const uint8_t> data) {
  write_sync_status status;
  status.write = co_await write_at(fd, offset, data);
  if (status.write != io_errc::ok) co_return status;
  status.sync = co_await sync(fd);
  co_return status;
}

}  // namespace rill::storage
