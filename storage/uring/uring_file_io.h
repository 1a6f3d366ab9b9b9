// uring_file_io: the storage engine's file_io on a shard's io_uring.
//
// Data operations (open, read, write, fsync, fallocate, close) are SQEs on
// the calling shard's ring; write_and_sync() submits the write and an
// fdatasync as one linked chain, so the sync is ordered behind the write
// without a round trip; write_at_split() submits its two writes together.
// Metadata operations used at start-up, roll and retention (ftruncate,
// rename, unlink, listing) are synchronous syscalls.
// One instance per shard; it must be used from that shard's thread.
#pragma once

#include <algorithm>

#include "base/prometheus.h"
#include "platform/runtime/shard.h"
#include "platform/runtime/wait_queue.h"
#include "storage/file_io.h"

namespace rill::storage {

// What the disk did for one shard, for metrics.
struct disk_stats {
  duration_histogram write_latency;  // write_at and write_at_split
  duration_histogram sync_latency;   // fdatasync, or a write+fdatasync chain
  uint64_t bytes_written = 0;
  uint64_t bytes_read = 0;
  uint64_t errors = 0;
  uint32_t writes_in_flight_peak = 0;  // the most log writes in flight at once
};

class uring_file_io final : public storage::file_io {
 public:
  explicit uring_file_io(runtime::shard& s) : shard_(&s) {}

  task<result<int, storage::io_errc>> open(std::string path, storage::open_mode mode,
                                           storage::direct_io direct) override;
  task<storage::io_errc> close(int fd) override;
  task<storage::io_errc> write_at(int fd, uint64_t offset, std::span<const uint8_t> data) override;
  task<storage::io_errc> write_at_split(int fd, uint64_t offset, std::span<const uint8_t> data,
                                        size_t split) override;
  task<result<size_t, storage::io_errc>> read_at(int fd, uint64_t offset,
                                                 std::span<uint8_t> data) override;
  task<storage::io_errc> sync(int fd) override;
  task<write_sync_status> write_and_sync(int fd, uint64_t offset,
                                         std::span<const uint8_t> data) override;
  task<storage::io_errc> allocate(int fd, uint64_t offset, uint64_t length) override;
  task<storage::io_errc> truncate(int fd, uint64_t size) override;
  result<uint64_t, storage::io_errc> file_size(int fd) override;
  storage::io_errc remove(const std::string& path) override;
  storage::io_errc remove_tree(const std::string& path) override;
  storage::io_errc rename(const std::string& from, const std::string& to) override;
  storage::io_errc make_dirs(const std::string& path) override;
  result<std::vector<std::string>, storage::io_errc> list_dir(const std::string& path) override;
  storage::io_errc sync_dir(const std::string& path) override;
  bool exists(const std::string& path) override;

  const disk_stats& stats() const { return stats_; }
  // At most n log writes (each with its fdatasync, if linked) in flight on
  // this shard; later ones wait their turn. 0: no limit. rill iotune's
  // profile sets it (see tuning/io_profile.h).
  void set_writes_in_flight_max(uint32_t n) { writes_in_flight_max_ = n; }

 private:
  // Holds one write slot for its lifetime.
  class write_slot {
   public:
    explicit write_slot(uring_file_io* io) : io_(io) {
      ++io_->writes_in_flight_;
      io_->stats_.writes_in_flight_peak =
          std::max(io_->stats_.writes_in_flight_peak, io_->writes_in_flight_);
    }
    ~write_slot();
    write_slot(const write_slot&) = delete;
    write_slot& operator=(const write_slot&) = delete;

   private:
    uring_file_io* io_;
  };
  task<void> wait_for_write_slot();
  task<storage::io_errc> write_all(int fd, uint64_t offset, std::span<const uint8_t> data);
  task<storage::io_errc> sync_only(int fd);

  runtime::shard* shard_;
  disk_stats stats_;
  uint32_t writes_in_flight_max_ = 0;
  uint32_t writes_in_flight_ = 0;
  runtime::wait_queue write_slots_;
};

}  // namespace rill::storage
