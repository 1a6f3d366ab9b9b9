#include "storage/memory_file_io.h"

#include <algorithm>
#include <random>

#include "base/assert.h"

namespace rill::storage {
namespace {

constexpr uint64_t k_sector_bytes = 512;

bool aligned(uint64_t v) {
  return v % file_io::k_direct_alignment == 0;
}

std::string parent_dir(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? std::string(".") : path.substr(0, slash);
}

}  // namespace

memory_file_io::descriptor* memory_file_io::find(int fd) {
  auto it = descriptors_.find(fd);
  return it == descriptors_.end() ? nullptr : &it->second;
}

uint64_t memory_file_io::used_bytes() const {
  uint64_t total = 0;
  for (const auto& [path, f] : files_) total += f->data.size();
  return total;
}

void memory_file_io::apply(std::vector<uint8_t>& data, const pending_change& c) {
  if (c.is_truncate) {
    data.resize(c.offset);
    return;
  }
  if (data.size() < c.offset + c.bytes.size()) data.resize(c.offset + c.bytes.size());
  std::copy(c.bytes.begin(), c.bytes.end(), data.begin() + static_cast<std::ptrdiff_t>(c.offset));
}

task<result<int, io_errc>> memory_file_io::open(std::string path, open_mode mode,
                                                direct_io direct) {
  auto it = files_.find(path);
  if (it == files_.end()) {
    if (mode != open_mode::create_read_write) co_return io_errc::not_found;
    if (dirs_.find(parent_dir(path)) == dirs_.end()) co_return io_errc::not_found;
    it = files_.emplace(path, std::make_shared<file>()).first;
  }
  int fd = next_fd_++;
  descriptors_[fd] = {it->second, direct == direct_io::on, mode != open_mode::read_only};
  co_return fd;
}

task<io_errc> memory_file_io::close(int fd) {
  co_return descriptors_.erase(fd) == 1 ? io_errc::ok : io_errc::invalid_argument;
}

task<io_errc> memory_file_io::write_at(int fd, uint64_t offset, std::span<const uint8_t> data) {
  descriptor* d = find(fd);
  if (d == nullptr || !d->writable) co_return io_errc::invalid_argument;
  if (d->direct && (!aligned(offset) || !aligned(data.size()) ||
                    !aligned(reinterpret_cast<uintptr_t>(data.data())))) {
    co_return io_errc::invalid_argument;
  }
  uint64_t end = offset + data.size();
  if (end > d->f->data.size() && used_bytes() + (end - d->f->data.size()) > capacity_bytes_) {
    co_return io_errc::no_space;
  }
  pending_change c{false, offset, std::vector<uint8_t>(data.begin(), data.end())};
  apply(d->f->data, c);
  d->f->unsynced.push_back(std::move(c));
  co_return io_errc::ok;
}

task<result<size_t, io_errc>> memory_file_io::read_at(int fd, uint64_t offset,
                                                      std::span<uint8_t> data) {
  descriptor* d = find(fd);
  if (d == nullptr) co_return io_errc::invalid_argument;
  if (d->direct && (!aligned(offset) || !aligned(data.size()) ||
                    !aligned(reinterpret_cast<uintptr_t>(data.data())))) {
    co_return io_errc::invalid_argument;
  }
  const std::vector<uint8_t>& bytes = d->f->data;
  if (offset >= bytes.size()) co_return size_t{0};
  size_t n = std::min<size_t>(data.size(), bytes.size() - offset);
  std::copy_n(bytes.begin() + static_cast<std::ptrdiff_t>(offset), n, data.begin());
  co_return n;
}

task<io_errc> memory_file_io::sync(int fd) {
  descriptor* d = find(fd);
  if (d == nullptr) co_return io_errc::invalid_argument;
  d->f->durable = d->f->data;
  d->f->unsynced.clear();
  co_return io_errc::ok;
}

task<io_errc> memory_file_io::allocate(int fd, uint64_t offset, uint64_t length) {
  descriptor* d = find(fd);
  if (d == nullptr || !d->writable) co_return io_errc::invalid_argument;
  uint64_t end = offset + length;
  if (end <= d->f->data.size()) co_return io_errc::ok;
  if (used_bytes() + (end - d->f->data.size()) > capacity_bytes_) co_return io_errc::no_space;
  // Allocation extends the file with zeros; like any size change it is
  // durable only after a sync.
  pending_change c{false, d->f->data.size(), std::vector<uint8_t>(end - d->f->data.size(), 0)};
  apply(d->f->data, c);
  d->f->unsynced.push_back(std::move(c));
  co_return io_errc::ok;
}

task<io_errc> memory_file_io::truncate(int fd, uint64_t size) {
  descriptor* d = find(fd);
  if (d == nullptr || !d->writable) co_return io_errc::invalid_argument;
  pending_change c{true, size, {}};
  apply(d->f->data, c);
  d->f->unsynced.push_back(std::move(c));
  co_return io_errc::ok;
}

result<uint64_t, io_errc> memory_file_io::file_size(int fd) {
  descriptor* d = find(fd);
  if (d == nullptr) return io_errc::invalid_argument;
  return static_cast<uint64_t>(d->f->data.size());
}

io_errc memory_file_io::remove(const std::string& path) {
  return files_.erase(path) == 1 ? io_errc::ok : io_errc::not_found;
}

io_errc memory_file_io::remove_tree(const std::string& path) {
  std::string prefix = path + "/";
  auto under = [&](const std::string& name) {
    return name == path || name.compare(0, prefix.size(), prefix) == 0;
  };
  std::erase_if(files_, [&](const auto& kv) { return under(kv.first); });
  std::erase_if(dirs_, [&](const auto& kv) { return under(kv.first); });
  return io_errc::ok;
}

io_errc memory_file_io::rename(const std::string& from, const std::string& to) {
  auto it = files_.find(from);
  if (it == files_.end()) return io_errc::not_found;
  files_[to] = it->second;
  files_.erase(it);
  return io_errc::ok;
}

io_errc memory_file_io::make_dirs(const std::string& path) {
  std::string partial;
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    partial = path.substr(0, pos);
    if (!partial.empty()) dirs_[partial] = true;
  }
  return io_errc::ok;
}

result<std::vector<std::string>, io_errc> memory_file_io::list_dir(const std::string& path) {
  if (dirs_.find(path) == dirs_.end()) return io_errc::not_found;
  std::vector<std::string> names;
  std::string prefix = path + "/";
  for (const auto& [name, f] : files_) {
    if (name.compare(0, prefix.size(), prefix) == 0 &&
        name.find('/', prefix.size()) == std::string::npos) {
      names.push_back(name.substr(prefix.size()));
    }
  }
  for (const auto& [name, present] : dirs_) {
    if (name.compare(0, prefix.size(), prefix) == 0 &&
        name.find('/', prefix.size()) == std::string::npos) {
      names.push_back(name.substr(prefix.size()));
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

io_errc memory_file_io::sync_dir(const std::string& path) {
  return dirs_.find(path) == dirs_.end() ? io_errc::not_found : io_errc::ok;
}

bool memory_file_io::exists(const std::string& path) {
  return files_.find(path) != files_.end() || dirs_.find(path) != dirs_.end();
}

void memory_file_io::power_cut(power_cut_mode mode, uint64_t seed) {
  std::mt19937_64 rng(seed);
  descriptors_.clear();
  for (auto& [path, f] : files_) {
    std::vector<uint8_t> survived = f->durable;
    if (mode == power_cut_mode::keep_random_prefix && !f->unsynced.empty()) {
      size_t kept = rng() % (f->unsynced.size() + 1);
      for (size_t i = 0; i < kept; ++i) apply(survived, f->unsynced[i]);
      if (kept < f->unsynced.size() && !f->unsynced[kept].is_truncate) {
        // The next write is torn at a sector boundary.
        pending_change torn = f->unsynced[kept];
        uint64_t sectors = torn.bytes.size() / k_sector_bytes;
        torn.bytes.resize((sectors == 0 ? 0 : rng() % sectors) * k_sector_bytes);
        apply(survived, torn);
      }
    }
    f->data = survived;
    f->durable = std::move(survived);
    f->unsynced.clear();
  }
}

std::vector<uint8_t> memory_file_io::contents(const std::string& path) const {
  auto it = files_.find(path);
  return it == files_.end() ? std::vector<uint8_t>{} : it->second->data;
}

void memory_file_io::corrupt(const std::string& path, uint64_t offset,
                             std::span<const uint8_t> bytes) {
  auto it = files_.find(path);
  RILL_ASSERT(it != files_.end(), "corrupting missing file %s", path.c_str());
  pending_change c{false, offset, std::vector<uint8_t>(bytes.begin(), bytes.end())};
  apply(it->second->data, c);
  apply(it->second->durable, c);
}

}  // namespace rill::storage
