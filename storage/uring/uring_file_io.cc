#include "storage/uring/uring_file_io.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "base/assert.h"
#include "platform/runtime/uring_op.h"
#include "storage/posix_metadata.h"

namespace rill::storage {

using runtime::io_completion;
using runtime::monotonic_ns;
using runtime::shard;
using runtime::uring_op;

namespace {

// N SQEs submitted together, awaited as one: resumes once all N CQEs
// arrived. Prepare each with sqe(i); link them or not. The N SQEs are
// taken at once, so no submission happens between their preparations.
template <int N>
class sqe_group {
 public:
  explicit sqe_group(shard& s) {
    s.reserve_sqes(N);
    for (part& p : parts_) {
      p.owner = this;
      p.on_cqe = &sqe_group::on_cqe;
      p.sqe = s.get_sqe();
    }
  }
  // Prep helpers overwrite user_data, so it is set in await_suspend.
  io_uring_sqe* sqe(int i) { return parts_[i].sqe; }
  int32_t res(int i) const { return parts_[i].res; }

  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) {
    waiter_ = h;
    for (part& p : parts_) io_uring_sqe_set_data(p.sqe, static_cast<io_completion*>(&p));
  }
  void await_resume() const noexcept {}

 private:
  struct part : io_completion {
    sqe_group* owner = nullptr;
    io_uring_sqe* sqe = nullptr;
    int32_t res = 0;
  };
  static void on_cqe(io_completion* self, int32_t res, uint32_t /*flags*/) {
    auto* p = static_cast<part*>(self);
    p->res = res;
    if (++p->owner->done_ == N) p->owner->waiter_.resume();
  }
  part parts_[N];
  int done_ = 0;
  std::coroutine_handle<> waiter_{};
};

void prep_write(io_uring_sqe* sqe, int fd, uint64_t offset, std::span<const uint8_t> data) {
  io_uring_prep_write(sqe, fd, data.data(), static_cast<unsigned>(data.size()), offset);
}

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

uring_file_io::write_slot::~write_slot() {
  RILL_ASSERT(io_->writes_in_flight_ > 0, "write slot released twice");
  --io_->writes_in_flight_;
  io_->write_slots_.notify_all();
}

task<void> uring_file_io::wait_for_write_slot() {
  while (writes_in_flight_max_ != 0 && writes_in_flight_ >= writes_in_flight_max_) {
    co_await write_slots_.wait(*shard_);
  }
}

task<io_errc> uring_file_io::write_at(int fd, uint64_t offset, std::span<const uint8_t> data) {
  co_await wait_for_write_slot();
  write_slot slot(this);
  uint64_t start = monotonic_ns();
  io_errc e = co_await write_all(fd, offset, data);
  stats_.write_latency.record_ns(monotonic_ns() - start);
  co_return e;
}

task<io_errc> uring_file_io::write_all(int fd, uint64_t offset, std::span<const uint8_t> data) {
  while (!data.empty()) {
    uring_op op(*shard_);
    prep_write(op.sqe(), fd, offset, data);
    int res = co_await op;
    if (res == -EINTR || res == -EAGAIN) continue;
    if (res < 0) {
      ++stats_.errors;
      co_return io_errc_from_errno(-res);
    }
    if (res == 0) co_return io_errc::io_error;
    stats_.bytes_written += static_cast<uint64_t>(res);
    data = data.subspan(static_cast<size_t>(res));
    offset += static_cast<uint64_t>(res);
  }
  co_return io_errc::ok;
}

task<io_errc> uring_file_io::write_at_split(int fd, uint64_t offset, std::span<const uint8_t> data,
                                            size_t split) {
  co_await wait_for_write_slot();
  write_slot slot(this);
  uint64_t start = monotonic_ns();
  sqe_group<2> writes(*shard_);
  std::span<const uint8_t> pieces[2] = {data.first(split), data.subspan(split)};
  uint64_t offsets[2] = {offset, offset + split};
  for (int i = 0; i < 2; ++i) prep_write(writes.sqe(i), fd, offsets[i], pieces[i]);
  co_await writes;
  // Whatever a piece left unwritten (a short write, EAGAIN/EINTR) is
  // finished on its own; a hard error fails the whole write.
  for (int i = 0; i < 2; ++i) {
    int32_t res = writes.res(i);
    if (res < 0 && res != -EAGAIN && res != -EINTR) {
      ++stats_.errors;
      co_return io_errc_from_errno(-res);
    }
  }
  for (int i = 0; i < 2; ++i) {
    size_t done = writes.res(i) > 0 ? static_cast<size_t>(writes.res(i)) : 0;
    stats_.bytes_written += done;
    if (done == pieces[i].size()) continue;
    io_errc e = co_await write_all(fd, offsets[i] + done, pieces[i].subspan(done));
    if (e != io_errc::ok) co_return e;
  }
  stats_.write_latency.record_ns(monotonic_ns() - start);
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
  stats_.bytes_read += total;
  co_return total;
}

task<io_errc> uring_file_io::sync(int fd) {
  uint64_t start = monotonic_ns();
  io_errc e = co_await sync_only(fd);
  stats_.sync_latency.record_ns(monotonic_ns() - start);
  co_return e;
}

task<io_errc> uring_file_io::sync_only(int fd) {
  uring_op op(*shard_);
  io_uring_prep_fsync(op.sqe(), fd, IORING_FSYNC_DATASYNC);
  int res = co_await op;
  if (res < 0) ++stats_.errors;
  co_return res < 0 ? io_errc_from_errno(-res) : io_errc::ok;
}

task<storage::file_io::write_sync_status> uring_file_io::write_and_sync(
    int fd, uint64_t offset, std::span<const uint8_t> data) {
  co_await wait_for_write_slot();
  write_slot slot(this);
  uint64_t start = monotonic_ns();
  sqe_group<2> chain(*shard_);
  prep_write(chain.sqe(0), fd, offset, data);
  chain.sqe(0)->flags |= IOSQE_IO_LINK;
  io_uring_prep_fsync(chain.sqe(1), fd, IORING_FSYNC_DATASYNC);
  co_await chain;
  int32_t written = chain.res(0), synced = chain.res(1);
  write_sync_status status;
  if (written < 0) {
    ++stats_.errors;
    status.write = io_errc_from_errno(-written);
    co_return status;
  }
  stats_.bytes_written += static_cast<uint64_t>(written);
  if (static_cast<size_t>(written) < data.size()) {
    // A short write broke the link (the fsync was cancelled): finish the
    // write, then sync on their own.
    status.write = co_await write_all(fd, offset + static_cast<uint64_t>(written),
                                      data.subspan(static_cast<size_t>(written)));
    if (status.write == io_errc::ok) status.sync = co_await sync_only(fd);
  } else {
    if (synced < 0) ++stats_.errors;
    status.sync = synced < 0 ? io_errc_from_errno(-synced) : io_errc::ok;
  }
  stats_.sync_latency.record_ns(monotonic_ns() - start);
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
io_errc uring_file_io::remove_tree(const std::string& path) {
  return posix_metadata::remove_tree(path);
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

}  // namespace rill::storage
