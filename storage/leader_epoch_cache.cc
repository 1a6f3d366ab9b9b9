#include "storage/leader_epoch_cache.h"

#include <cstdio>
#include <sstream>

#include "base/assert.h"
#include "base/log.h"

namespace rill::storage {
namespace {
constexpr const char* k_checkpoint_name = "leader-epoch-checkpoint";
constexpr int k_checkpoint_version = 0;
}  // namespace

bool leader_epoch_cache::assign(int32_t epoch, int64_t start_offset) {
  if (epoch < 0) return false;
  if (!entries_.empty() && epoch <= entries_.back().epoch) return false;
  RILL_ASSERT(entries_.empty() || start_offset >= entries_.back().start_offset,
              "epoch %d starts at %lld before epoch %d at %lld", epoch,
              static_cast<long long>(start_offset), entries_.back().epoch,
              static_cast<long long>(entries_.back().start_offset));
  entries_.push_back({epoch, start_offset});
  return true;
}

void leader_epoch_cache::truncate_from_end(int64_t end_offset) {
  while (!entries_.empty() && entries_.back().start_offset >= end_offset) entries_.pop_back();
}

void leader_epoch_cache::truncate_from_start(int64_t start_offset) {
  size_t keep_from = 0;
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].start_offset <= start_offset) keep_from = i;
  }
  entries_.erase(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(keep_from));
  if (!entries_.empty() && entries_.front().start_offset < start_offset) {
    entries_.front().start_offset = start_offset;
  }
}

leader_epoch_cache::epoch_end leader_epoch_cache::end_offset_for(int32_t requested,
                                                                 int64_t log_end_offset) const {
  for (size_t i = entries_.size(); i-- > 0;) {
    if (entries_[i].epoch <= requested) {
      int64_t end = i + 1 < entries_.size() ? entries_[i + 1].start_offset : log_end_offset;
      return {entries_[i].epoch, end};
    }
  }
  return {-1, -1};
}

std::string leader_epoch_cache::serialize(const std::vector<entry>& entries) {
  std::ostringstream out;
  out << k_checkpoint_version << "\n" << entries.size() << "\n";
  for (const entry& e : entries) out << e.epoch << " " << e.start_offset << "\n";
  return out.str();
}

bool leader_epoch_cache::parse(const std::string& text, std::vector<entry>* out) {
  std::istringstream in(text);
  int version = -1;
  size_t count = 0;
  if (!(in >> version >> count) || version != k_checkpoint_version) return false;
  std::vector<entry> entries;
  for (size_t i = 0; i < count; ++i) {
    entry e{};
    if (!(in >> e.epoch >> e.start_offset)) return false;
    if (!entries.empty() &&
        (e.epoch <= entries.back().epoch || e.start_offset < entries.back().start_offset)) {
      return false;
    }
    entries.push_back(e);
  }
  *out = std::move(entries);
  return true;
}

task<io_errc> leader_epoch_cache::persist(file_io& io, const std::string& dir) const {
  co_return co_await write_file_atomically(io, dir, k_checkpoint_name, serialize(entries_));
}

task<io_errc> leader_epoch_cache::load(file_io& io, const std::string& dir) {
  auto text = co_await read_small_file(io, dir + "/" + k_checkpoint_name);
  if (!text.ok()) co_return text.error() == io_errc::not_found ? io_errc::ok : text.error();
  if (!parse(text.value(), &entries_)) {
    RILL_WARN("storage", "%s/%s is damaged; starting with an empty epoch history", dir.c_str(),
              k_checkpoint_name);
    entries_.clear();
  }
  co_return io_errc::ok;
}

task<io_errc> write_file_atomically(file_io& io, const std::string& dir, const std::string& name,
                                    const std::string& contents) {
  std::string tmp = dir + "/" + name + ".tmp";
  auto fd = co_await io.open(tmp, open_mode::create_read_write, direct_io::off);
  if (!fd.ok()) co_return fd.error();
  io_errc e = co_await io.truncate(fd.value(), 0);
  if (e == io_errc::ok) {
    auto status = co_await io.write_and_sync(
        fd.value(), 0, {reinterpret_cast<const uint8_t*>(contents.data()), contents.size()});
    e = status.write != io_errc::ok ? status.write : status.sync;
  }
  (void)co_await io.close(fd.value());
  if (e != io_errc::ok) co_return e;
  e = io.rename(tmp, dir + "/" + name);
  if (e != io_errc::ok) co_return e;
  co_return io.sync_dir(dir);
}

task<result<std::string, io_errc>> read_small_file(file_io& io, const std::string& path,
                                                   size_t max_bytes) {
  auto fd = co_await io.open(path, open_mode::read_only, direct_io::off);
  if (!fd.ok()) co_return fd.error();
  auto size = io.file_size(fd.value());
  if (!size.ok() || size.value() > max_bytes) {
    (void)co_await io.close(fd.value());
    co_return size.ok() ? io_errc::invalid_argument : size.error();
  }
  std::string text(size.value(), '\0');
  auto n =
      co_await io.read_at(fd.value(), 0, {reinterpret_cast<uint8_t*>(text.data()), text.size()});
  (void)co_await io.close(fd.value());
  if (!n.ok()) co_return n.error();
  text.resize(n.value());
  co_return text;
}

}  // namespace rill::storage
