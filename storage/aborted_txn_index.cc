#include "storage/aborted_txn_index.h"

#include <algorithm>
#include <sstream>

#include "base/assert.h"
#include "base/log.h"
#include "storage/leader_epoch_cache.h"

namespace rill::storage {
namespace {
constexpr const char* k_index_name = "aborted-transactions";
constexpr int k_index_version = 0;
constexpr size_t k_index_bytes_max = 64 << 20;
}  // namespace

bool aborted_txn_index::add(const aborted_txn& t) {
  RILL_ASSERT(t.first_offset >= 0 && t.first_offset <= t.last_offset,
              "aborted transaction of producer %lld spans %lld..%lld",
              static_cast<long long>(t.producer_id), static_cast<long long>(t.first_offset),
              static_cast<long long>(t.last_offset));
  auto at = std::lower_bound(
      entries_.begin(), entries_.end(), t,
      [](const aborted_txn& a, const aborted_txn& b) { return a.last_offset < b.last_offset; });
  if (at != entries_.end() && *at == t) return false;
  entries_.insert(at, t);
  return true;
}

std::vector<aborted_txn> aborted_txn_index::overlapping(int64_t from, int64_t to) const {
  std::vector<aborted_txn> out;
  auto it =
      std::lower_bound(entries_.begin(), entries_.end(), from,
                       [](const aborted_txn& a, int64_t offset) { return a.last_offset < offset; });
  for (; it != entries_.end(); ++it) {
    if (it->first_offset < to) out.push_back(*it);
  }
  return out;
}

bool aborted_txn_index::contains_batch(int64_t producer_id, int64_t offset) const {
  if (producer_id < 0) return false;
  auto it = std::lower_bound(entries_.begin(), entries_.end(), offset,
                             [](const aborted_txn& a, int64_t o) { return a.last_offset < o; });
  for (; it != entries_.end(); ++it) {
    if (it->producer_id == producer_id && it->first_offset <= offset) return true;
  }
  return false;
}

bool aborted_txn_index::truncate_from_end(int64_t end_offset) {
  size_t before = entries_.size();
  while (!entries_.empty() && entries_.back().last_offset >= end_offset) entries_.pop_back();
  return entries_.size() != before;
}

bool aborted_txn_index::truncate_from_start(int64_t start_offset) {
  size_t before = entries_.size();
  std::erase_if(entries_,
                [start_offset](const aborted_txn& t) { return t.last_offset < start_offset; });
  return entries_.size() != before;
}

std::string aborted_txn_index::serialize(const std::vector<aborted_txn>& entries) {
  std::ostringstream out;
  out << k_index_version << "\n" << entries.size() << "\n";
  for (const aborted_txn& t : entries) {
    out << t.producer_id << " " << t.first_offset << " " << t.last_offset << "\n";
  }
  return out.str();
}

bool aborted_txn_index::parse(const std::string& text, std::vector<aborted_txn>* out) {
  std::istringstream in(text);
  int version = -1;
  size_t count = 0;
  if (!(in >> version >> count) || version != k_index_version) return false;
  std::vector<aborted_txn> entries;
  for (size_t i = 0; i < count; ++i) {
    aborted_txn t;
    if (!(in >> t.producer_id >> t.first_offset >> t.last_offset)) return false;
    if (t.first_offset < 0 || t.first_offset > t.last_offset) return false;
    if (!entries.empty() && entries.back().last_offset > t.last_offset) return false;
    entries.push_back(t);
  }
  *out = std::move(entries);
  return true;
}

task<io_errc> aborted_txn_index::persist(file_io& io, const std::string& dir) const {
  co_return co_await write_file_atomically(io, dir, k_index_name, serialize(entries_));
}

task<io_errc> aborted_txn_index::load(file_io& io, const std::string& dir) {
  auto text = co_await read_small_file(io, dir + "/" + k_index_name, k_index_bytes_max);
  if (!text.ok()) co_return text.error() == io_errc::not_found ? io_errc::ok : text.error();
  if (!parse(text.value(), &entries_)) {
    // The replica rebuilds what its recent log holds (restore_producer_state).
    RILL_WARN("storage", "%s/%s is damaged; rebuilding it from the recent log", dir.c_str(),
              k_index_name);
    entries_.clear();
  }
  co_return io_errc::ok;
}

}  // namespace rill::storage
