#include "control/metadata_store.h"

#include "base/byte_order.h"
#include "base/log.h"
#include "storage/crc32c.h"
#include "storage/leader_epoch_cache.h"

namespace rill::control {
namespace {

// A log record: u32 length, u32 CRC32C of the payload (both big-endian), payload.
constexpr size_t k_record_header = 8;
// Snapshots and logs are read whole at start-up; a cluster of 100,000
// partitions needs about 5 MB.
constexpr size_t k_file_bytes_max = 256u << 20;

std::span<const uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// The whole records at the start of log; *valid_end is where they end.
std::vector<std::string> read_records(const std::string& log, uint64_t* valid_end) {
  std::vector<std::string> out;
  size_t at = 0;
  while (at + k_record_header <= log.size()) {
    const auto* p = reinterpret_cast<const uint8_t*>(log.data() + at);
    uint32_t length = load_be32(p);
    uint32_t crc = load_be32(p + 4);
    if (length > log.size() - at - k_record_header) break;
    std::string payload = log.substr(at + k_record_header, length);
    if (storage::crc32c(bytes_of(payload)) != crc) break;
    out.push_back(std::move(payload));
    at += k_record_header + length;
  }
  *valid_end = at;
  return out;
}

}  // namespace

task<std::optional<stored_metadata>> file_metadata_store::load() {
  if (io_.make_dirs(dir_) != storage::io_errc::ok) {
    RILL_ERROR("control", "cannot create the metadata directory %s", dir_.c_str());
    co_return std::nullopt;
  }
  stored_metadata out;
  auto file = co_await storage::read_small_file(io_, describe(), k_file_bytes_max);
  if (file.ok()) {
    out.snapshot = std::move(file).value();
  } else if (file.error() != storage::io_errc::not_found) {
    RILL_ERROR("control", "reading %s failed: %s", describe().c_str(),
               storage::io_errc_name(file.error()));
    co_return std::nullopt;
  }
  auto log = co_await storage::read_small_file(io_, log_path(), k_file_bytes_max);
  if (!log.ok() && log.error() != storage::io_errc::not_found) {
    RILL_ERROR("control", "reading %s failed: %s", log_path().c_str(),
               storage::io_errc_name(log.error()));
    co_return std::nullopt;
  }
  log_end_ = 0;
  if (log.ok()) {
    out.deltas = read_records(log.value(), &log_end_);
    if (log_end_ < log.value().size()) {
      // A record cut short by a crash was never acknowledged: cut it off,
      // so the next append does not follow garbage.
      RILL_WARN("control", "%s: %zu bytes after the last whole record dropped (a write cut short)",
                log_path().c_str(), log.value().size() - log_end_);
      auto fd =
          co_await io_.open(log_path(), storage::open_mode::read_write, storage::direct_io::off);
      storage::io_errc e = fd.ok() ? co_await io_.truncate(fd.value(), log_end_) : fd.error();
      if (fd.ok()) {
        if (e == storage::io_errc::ok) e = co_await io_.sync(fd.value());
        (void)co_await io_.close(fd.value());
      }
      if (e != storage::io_errc::ok) {
        RILL_ERROR("control", "cannot cut %s: %s", log_path().c_str(), storage::io_errc_name(e));
        co_return std::nullopt;
      }
    }
  }
  co_return out;
}

task<bool> file_metadata_store::append(int64_t epoch, std::string delta) {
  std::string record(k_record_header, '\0');
  auto* header = reinterpret_cast<uint8_t*>(record.data());
  store_be32(header, static_cast<uint32_t>(delta.size()));
  store_be32(header + 4, storage::crc32c(bytes_of(delta)));
  record += delta;
  bool created = log_end_ == 0;
  auto fd =
      co_await io_.open(log_path(), storage::open_mode::create_read_write, storage::direct_io::off);
  storage::io_errc e = fd.ok() ? storage::io_errc::ok : fd.error();
  if (fd.ok()) {
    auto status = co_await io_.write_and_sync(fd.value(), log_end_, bytes_of(record));
    e = status.write != storage::io_errc::ok ? status.write : status.sync;
    (void)co_await io_.close(fd.value());
  }
  // The log's name must be durable before its first record counts.
  if (e == storage::io_errc::ok && created) e = io_.sync_dir(dir_);
  if (e != storage::io_errc::ok) {
    RILL_ERROR("control", "appending metadata epoch %lld to %s failed: %s",
               static_cast<long long>(epoch), log_path().c_str(), storage::io_errc_name(e));
    co_return false;
  }
  log_end_ += record.size();
  co_return true;
}

task<bool> file_metadata_store::save_snapshot(int64_t epoch, std::string snapshot) {
  storage::io_errc e =
      co_await storage::write_file_atomically(io_, dir_, k_snapshot_file, snapshot);
  if (e != storage::io_errc::ok) {
    RILL_ERROR("control", "writing the metadata snapshot at epoch %lld to %s failed: %s",
               static_cast<long long>(epoch), describe().c_str(), storage::io_errc_name(e));
    co_return false;
  }
  // The snapshot covers every delta in the log: empty it. Should this
  // fail, the deltas stay and readers skip them (they are not newer).
  auto fd =
      co_await io_.open(log_path(), storage::open_mode::create_read_write, storage::direct_io::off);
  e = fd.ok() ? co_await io_.truncate(fd.value(), 0) : fd.error();
  if (fd.ok()) {
    if (e == storage::io_errc::ok) e = co_await io_.sync(fd.value());
    (void)co_await io_.close(fd.value());
  }
  if (e != storage::io_errc::ok) {
    RILL_WARN("control", "emptying %s after a snapshot failed: %s", log_path().c_str(),
              storage::io_errc_name(e));
    co_return true;  // the snapshot is durable; the next append still follows the old records
  }
  log_end_ = 0;
  co_return true;
}

}  // namespace rill::control
