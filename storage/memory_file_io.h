// memory_file_io: in-memory files that know which bytes are durable.
//
// Each file keeps its current contents and its durable contents (as of the
// last sync) plus the list of writes since then. power_cut() models a crash:
// every open descriptor is gone and each file falls back to its durable
// contents, optionally with a seeded prefix of its unsynced writes applied
// (the last one possibly torn at a 512-byte sector) - what a real disk may
// have persisted on its own. Direct-I/O descriptors enforce the alignment
// rules of O_DIRECT, so code that would fail with EINVAL on a real disk
// fails here too. A capacity limit turns writes beyond it into no_space.
//
// Simplification: file creation, rename and removal are durable at once.
// Single-threaded, like every file_io.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "storage/file_io.h"

namespace rill::storage {

enum class power_cut_mode : uint8_t { drop_unsynced, keep_random_prefix };

class memory_file_io final : public file_io {
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

  void power_cut(power_cut_mode mode, uint64_t seed);
  void set_capacity_bytes(uint64_t bytes) { capacity_bytes_ = bytes; }
  // Test access: the current contents of a file (empty if absent).
  std::vector<uint8_t> contents(const std::string& path) const;
  // Overwrites bytes of a file as if the disk had rotted them (durable too).
  void corrupt(const std::string& path, uint64_t offset, std::span<const uint8_t> bytes);
  size_t open_descriptor_count() const { return descriptors_.size(); }

 private:
  struct pending_change {
    bool is_truncate;
    uint64_t offset;  // or new size when truncating
    std::vector<uint8_t> bytes;
  };
  struct file {
    std::vector<uint8_t> data;
    std::vector<uint8_t> durable;
    std::vector<pending_change> unsynced;
  };
  struct descriptor {
    std::shared_ptr<file> f;
    bool direct;
    bool writable;
  };
  descriptor* find(int fd);
  uint64_t used_bytes() const;
  static void apply(std::vector<uint8_t>& data, const pending_change& c);

  std::map<std::string, std::shared_ptr<file>> files_;
  std::map<std::string, bool> dirs_;
  std::map<int, descriptor> descriptors_;
  int next_fd_ = 3;
  uint64_t capacity_bytes_ = UINT64_MAX;
};

}  // namespace rill::storage
