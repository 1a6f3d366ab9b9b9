#include "tuning/iotune.h"

#include <fcntl.h>
#include <liburing.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include "base/assert.h"

namespace rill::tuning {
namespace {

constexpr size_t k_align = 4096;
constexpr size_t k_small = 4096;
constexpr size_t k_large = 1 << 20;
constexpr unsigned k_seq_depth = 4;
constexpr unsigned k_rand_depth = 32;

uint64_t now_ns() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

enum class op_kind : uint8_t { read, write };

struct phase_result {
  uint64_t ops = 0;
  uint64_t bytes = 0;
  double seconds = 0;
  std::string error;
  double per_second(uint64_t n) const { return seconds > 0 ? n / seconds : 0; }
};

// Keeps `depth` operations of `block` bytes in flight until the deadline
// (and at least min_bytes done), offsets from next_offset.
class phase_runner {
 public:
  phase_runner(io_uring* ring, int fd, uint8_t* buffers)
      : ring_(ring), fd_(fd), buffers_(buffers) {}

  template <typename NextOffset>
  phase_result run(op_kind kind, unsigned depth, size_t block, double seconds, uint64_t min_bytes,
                   NextOffset next_offset) {
    RILL_ASSERT(depth > 0 && depth <= k_rand_depth, "depth %u", depth);
    phase_result r;
    uint64_t start = now_ns();
    uint64_t deadline = start + static_cast<uint64_t>(seconds * 1e9);
    unsigned in_flight = 0;
    auto submit_one = [&](unsigned slot) {
      io_uring_sqe* sqe = io_uring_get_sqe(ring_);
      uint8_t* buf = buffers_ + static_cast<size_t>(slot) * block;
      uint64_t off = next_offset();
      if (kind == op_kind::read) {
        io_uring_prep_read(sqe, fd_, buf, static_cast<unsigned>(block), off);
      } else {
        io_uring_prep_write(sqe, fd_, buf, static_cast<unsigned>(block), off);
      }
      io_uring_sqe_set_data64(sqe, slot);
      ++in_flight;
    };
    for (unsigned i = 0; i < depth; ++i) submit_one(i);
    io_uring_submit(ring_);
    while (in_flight > 0) {
      io_uring_cqe* cqe = nullptr;
      int rc = io_uring_wait_cqe(ring_, &cqe);
      if (rc < 0) {
        r.error = std::string("io_uring_wait_cqe: ") + strerror(-rc);
        return r;
      }
      auto slot = static_cast<unsigned>(io_uring_cqe_get_data64(cqe));
      int res = cqe->res;
      io_uring_cqe_seen(ring_, cqe);
      --in_flight;
      if (res < 0) {
        if (r.error.empty()) r.error = strerror(-res);
        continue;
      }
      ++r.ops;
      r.bytes += static_cast<uint64_t>(res);
      bool more = r.error.empty() && (now_ns() < deadline || r.bytes < min_bytes);
      if (more) {
        submit_one(slot);
        io_uring_submit(ring_);
      }
    }
    r.seconds = static_cast<double>(now_ns() - start) / 1e9;
    return r;
  }

 private:
  io_uring* ring_;
  int fd_;
  uint8_t* buffers_;
};

// 4 KiB writes each followed by a linked fdatasync, one at a time; the
// latencies in microseconds.
std::vector<uint64_t> fsync_latencies(io_uring* ring, int fd, uint8_t* buf, uint64_t file_bytes,
                                      double seconds, std::string* error) {
  std::vector<uint64_t> out;
  uint64_t deadline = now_ns() + static_cast<uint64_t>(seconds * 1e9);
  uint64_t offset = 0;
  while (now_ns() < deadline || out.size() < 10) {
    uint64_t start = now_ns();
    io_uring_sqe* w = io_uring_get_sqe(ring);
    io_uring_prep_write(w, fd, buf, k_small, offset);
    w->flags |= IOSQE_IO_LINK;
    io_uring_sqe* s = io_uring_get_sqe(ring);
    io_uring_prep_fsync(s, fd, IORING_FSYNC_DATASYNC);
    io_uring_submit(ring);
    for (int i = 0; i < 2; ++i) {
      io_uring_cqe* cqe = nullptr;
      if (int rc = io_uring_wait_cqe(ring, &cqe); rc < 0) {
        *error = std::string("io_uring_wait_cqe: ") + strerror(-rc);
        return out;
      }
      if (cqe->res < 0 && error->empty())
        *error = std::string("write+fdatasync: ") + strerror(-cqe->res);
      io_uring_cqe_seen(ring, cqe);
    }
    if (!error->empty()) return out;
    out.push_back((now_ns() - start) / 1000);
    offset = (offset + k_small) % file_bytes;
  }
  std::sort(out.begin(), out.end());
  return out;
}

uint64_t percentile(const std::vector<uint64_t>& sorted, double q) {
  if (sorted.empty()) return 0;
  auto i = static_cast<size_t>(q * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(i, sorted.size() - 1)];
}

}  // namespace

iotune_result run_iotune(const iotune_options& o) {
  iotune_result result;
  io_profile& p = result.profile;
  p.mountpoint = o.dir;
  if (o.file_bytes < 2 * k_large || o.file_bytes % k_large != 0) {
    result.error = "the scratch file must be a multiple of 1 MiB, at least 2 MiB";
    return result;
  }
  std::string path = o.dir + "/rill-iotune.scratch";
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_DIRECT, 0600);
  if (fd < 0) {
    result.error = path + ": " + strerror(errno) +
                   (errno == EINVAL ? " (this file system has no O_DIRECT, e.g. tmpfs)" : "");
    return result;
  }
  unlink(path.c_str());  // gone when closed, even if we die
  if (int rc = posix_fallocate(fd, 0, static_cast<off_t>(o.file_bytes)); rc != 0) {
    close(fd);
    result.error =
        path + ": cannot reserve " + std::to_string(o.file_bytes >> 20) + " MiB: " + strerror(rc);
    return result;
  }
  io_uring ring{};
  if (int rc = io_uring_queue_init(64, &ring, 0); rc < 0) {
    close(fd);
    result.error = std::string("io_uring_queue_init: ") + strerror(-rc);
    return result;
  }
  void* mem = nullptr;
  size_t buffer_bytes = std::max<size_t>(k_large * k_seq_depth, k_small * k_rand_depth);
  RILL_ASSERT(posix_memalign(&mem, k_align, buffer_bytes) == 0, "cannot allocate %zu bytes",
              buffer_bytes);
  auto* buffers = static_cast<uint8_t*>(mem);
  std::mt19937_64 rng(42);
  for (size_t i = 0; i < buffer_bytes; ++i) buffers[i] = static_cast<uint8_t>(rng());
  phase_runner runner(&ring, fd, buffers);
  double slice = o.duration_s / 5;
  uint64_t seq_at = 0;
  auto sequential = [&] {
    uint64_t off = seq_at;
    seq_at = (seq_at + k_large) % o.file_bytes;
    return off;
  };
  auto random_small = [&] { return (rng() % (o.file_bytes / k_small)) * k_small; };
  // Writes first, over the whole file, so that reads find written blocks.
  phase_result seq_write =
      runner.run(op_kind::write, k_seq_depth, k_large, slice, o.file_bytes, sequential);
  seq_at = 0;
  phase_result seq_read = runner.run(op_kind::read, k_seq_depth, k_large, slice, 0, sequential);
  phase_result rand_read = runner.run(op_kind::read, k_rand_depth, k_small, slice, 0, random_small);
  phase_result rand_write =
      runner.run(op_kind::write, k_rand_depth, k_small, slice, 0, random_small);
  phase_result rand_write1 = runner.run(op_kind::write, 1, k_small, slice / 2, 0, random_small);
  std::string fsync_error;
  std::vector<uint64_t> lat =
      fsync_latencies(&ring, fd, buffers, o.file_bytes, slice / 2, &fsync_error);
  io_uring_queue_exit(&ring);
  free(mem);
  close(fd);
  for (const phase_result* r : {&seq_write, &seq_read, &rand_read, &rand_write, &rand_write1}) {
    if (!r->error.empty()) {
      result.error = o.dir + ": " + r->error;
      return result;
    }
  }
  if (!fsync_error.empty()) {
    result.error = o.dir + ": " + fsync_error;
    return result;
  }
  p.write_bandwidth = static_cast<uint64_t>(seq_write.per_second(seq_write.bytes));
  p.read_bandwidth = static_cast<uint64_t>(seq_read.per_second(seq_read.bytes));
  p.read_iops = static_cast<uint64_t>(rand_read.per_second(rand_read.ops));
  p.write_iops = static_cast<uint64_t>(rand_write.per_second(rand_write.ops));
  p.write_iops_depth1 = static_cast<uint64_t>(rand_write1.per_second(rand_write1.ops));
  p.fsync_p50_us = percentile(lat, 0.50);
  p.fsync_p99_us = percentile(lat, 0.99);
  p.fsync_p999_us = percentile(lat, 0.999);
  return result;
}

}  // namespace rill::tuning
