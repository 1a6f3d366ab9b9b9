#include "control/snapshot_store.h"

#include "base/log.h"
#include "storage/leader_epoch_cache.h"

namespace rill::control {

task<std::optional<std::optional<std::string>>> file_snapshot_store::load() {
  if (io_.make_dirs(dir_) != storage::io_errc::ok) {
    RILL_ERROR("control", "cannot create the metadata directory %s", dir_.c_str());
    co_return std::nullopt;
  }
  auto file = co_await storage::read_small_file(io_, describe());
  if (file.ok()) co_return std::optional<std::string>(std::move(file).value());
  if (file.error() == storage::io_errc::not_found) co_return std::optional<std::string>();
  RILL_ERROR("control", "reading %s failed: %s", describe().c_str(),
             storage::io_errc_name(file.error()));
  co_return std::nullopt;
}

task<bool> file_snapshot_store::save(std::string text) {
  storage::io_errc e = co_await storage::write_file_atomically(io_, dir_, k_file, text);
  if (e != storage::io_errc::ok) {
    RILL_ERROR("control", "writing %s failed: %s", describe().c_str(), storage::io_errc_name(e));
  }
  co_return e == storage::io_errc::ok;
}

}  // namespace rill::control
