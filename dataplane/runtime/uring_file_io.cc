#include "dataplane/runtime/uring_file_io.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "base/assert.h"
#include "dataplane/runtime/uring_op.h"
#include "storage/posix_metadata.h"

namespace rill::runtime {

using storage::io_errc;
using storage::io_errc_from_errno;
namespace posix_metadata = storage::posix_metadata;

namespace {

// Awaits a linked write + fdatasync: resumes once both CQEs arrived.
class linked_write_sync {
 public:
  linked_write_sync(shard& s, int fd, uint64_t offset, std::span<const uint8_t> data) {
    write_.owner = sync_.owner = this;
    write_.on_cqe = sync_.on_cqe = &linked_write_sync::on_cqe;
    io_uring_sqe* w = s.get_sqe();
    io_uring_prep_write(w, fd, data.data(), static_cast<unsigned>(data.size()), offset);
    io_uring_sqe_set_data(w, static_cast<io_completion*>(&write_));
    w->flags |= IOSQE_IO_LINK;
    io_uring_sqe* f = s.get_sqe();
    io_uring_prep_fsync(f, fd, IORING_FSYNC_DATASYNC);
    io_uring_sqe_set_data(f, static_cast<io_completion*>(&sync_));
  }
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) { waiter_ = h; }
  std::pair<int32_t, int32_t> await_resume() const noexcept { return {write_.res, sync_.res}; }

 private:
  struct part : io_completion {
    linked_write_sync* owner = nullptr;
    int32_t res = 0;
  };
  static void on_cqe(io_completion* self, int32_t res, uint32_t /*flags*/) {
    auto* p = static_cast<part*>(self);
    p->res = res;
    if (++p->owner->done_ == 2) p->owner->waiter_.resume();
  }
  part write_;
  part sync_;
  int done_ = 0;
  std::coroutine_handle<> waiter_{};
};

}  // namespace

task<result<int, io_errc>> uring_file_io::open(std::string path, storage::open_mode mode,
                                               storage::direct_io direct) {
  uring_op op(*shard_);
  io_uring_prep_openat(op.sqe(), AT_FDCWD, path.c_str(), posix_metadata::open_flags(mode, direct),
                       0644);
  int res = co_await op;
  if (res < 0) co_return io_errc_from_errno(-res);
  co_return res;
}

task<io_errc> uring_file_io::close(int fd) {
  uring_op op(*shard_);
  io_uring_prep_close(op.sqe(), fd);
  int res = co_await op;
  co_return res < 0 ? io_errc_from_errno(-res) : io_errc::ok;
}

task<io_errc> uring_file_io::write_at(int fd, uint64_t offset, std::span<const uint8_t> data) {
  while (!data.empty()) {
    uring_op op(*shard_);
    io_uring_prep_write(op.sqe(), fd, data.data(), static_cast<unsigned>(data.size()), offset);
    int res = co_await op;
    if (res == -EINTR || res == -EAGAIN) continue;
    if (res < 0) co_return io_errc_from_errno(-res);
    if (res == 0) co_return io_errc::io_error;
    data = data.subspan(static_cast<size_t>(res));
    offset += static_cast<uint64_t>(res);
  }
  co_return io_errc::ok;
}

task<result<size_t, io_errc>> uring_file_io::read_at(int fd, uint64_t offset,
                                                     std::span<uint8_t> data) {
  size_t total = 0;
  while (total < data.size()) {
    uring_op op(*shard_);
    io_uring_prep_read(op.sqe(), fd, data.data() + total,
                       static_cast<unsigned>(data.size() - total), offset + total);
    int res = co_await op;
    if (res == -EINTR || res == -EAGAIN) continue;
    if (res < 0) co_return io_errc_from_errno(-res);
    if (res == 0) break;
    total += static_cast<size_t>(res);
  }
  co_return total;
}

task<io_errc> uring_file_io::sync(int fd) {
  uring_op op(*shard_);
  io_uring_prep_fsync(op.sqe(), fd, IORING_FSYNC_DATASYNC);
  int res = co_await op;
  co_return res < 0 ? io_errc_from_errno(-res) : io_errc::ok;
}

task<storage::file_io::write_sync_status> uring_file_io::write_and_sync(
    int fd, uint64_t offset, std::span<const uint8_t> data) {
  auto [written, synced] = co_await linked_write_sync(*shard_, fd, offset, data);
  write_sync_status status;
  if (written < 0) {
    status.write = io_errc_from_errno(-written);
    co_return status;
  }
  if (static_cast<size_t>(written) < data.size()) {
    // A short write broke the link (the fsync was cancelled): finish the
    // write, then sync on their own.
    status.write = co_await write_at(fd, offset + static_cast<uint64_t>(written),
                                     data.subspan(static_cast<size_t>(written)));
    if (status.write == io_errc::ok) status.sync = co_await sync(fd);
    co_return status;
  }
  status.sync = synced < 0 ? io_errc_from_errno(-synced) : io_errc::ok;
  co_return status;
}

task<io_errc> uring_file_io::allocate(int fd, uint64_t offset, uint64_t length) {
  uring_op op(*shard_);
  io_uring_prep_fallocate(op.sqe(), fd, 0, offset, length);
  int res = co_await op;
  co_return res < 0 ? io_errc_from_errno(-res) : io_errc::ok;
}

task<io_errc> uring_file_io::truncate(int fd, uint64_t size) {
  // IORING_OP_FTRUNCATE needs a newer liburing; truncation is a cold path.
  co_return ::ftruncate(fd, static_cast<off_t>(size)) == 0 ? io_errc::ok
                                                           : io_errc_from_errno(errno);
}

result<uint64_t, io_errc> uring_file_io::file_size(int fd) {
  return posix_metadata::file_size(fd);
}
io_errc uring_file_io::remove(const std::string& path) {
  return posix_metadata::remove(path);
}
io_errc uring_file_io::rename(const std::string& from, const std::string& to) {
  return posix_metadata::rename(from, to);
}
io_errc uring_file_io::make_dirs(const std::string& path) {
  return posix_metadata::make_dirs(path);
}
result<std::vector<std::string>, io_errc> uring_file_io::list_dir(const std::string& path) {
  return posix_metadata::list_dir(path);
}
io_errc uring_file_io::sync_dir(const std::string& path) {
  return posix_metadata::sync_dir(path);
}
bool uring_file_io::exists(const std::string& path) {
  return posix_metadata::exists(path);
}

}  // namespace rill::runtime
