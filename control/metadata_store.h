// metadata_store: where the controller keeps cluster metadata, as KRaft
// does: a snapshot at some epoch and a log of the deltas after it. A change
// appends one delta (its size follows the change, not the cluster); now and
// then the store writes a new snapshot and drops the deltas it covers
// (metadata_service decides when). Two implementations: files in a
// directory (file_metadata_store, the embedded default) and etcd
// (control/etcd/).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/task.h"
#include "storage/file_io.h"

namespace rill::control {

struct stored_metadata {
  std::optional<std::string> snapshot;  // serialize_snapshot() text; none: nothing stored yet
  // serialize_delta() texts in epoch order; those at or below the
  // snapshot's epoch (left by a compaction cut short) are skipped by the reader.
  std::vector<std::string> deltas;
};

class metadata_store {
 public:
  virtual ~metadata_store() = default;
  // nullopt: the store could not be read (logged).
  virtual task<std::optional<stored_metadata>> load() = 0;
  // True once the delta leading to `epoch` is durable and this writer was
  // still entitled to write it; false (logged) otherwise.
  virtual task<bool> append(int64_t epoch, std::string delta) = 0;
  // Replaces the snapshot with one at `epoch` and drops the deltas up to
  // it; true once durable (a crash in between leaves deltas the snapshot
  // already covers, which load() returns and readers skip).
  virtual task<bool> save_snapshot(int64_t epoch, std::string snapshot) = 0;
  virtual std::string describe() const = 0;
};

// <dir>/cluster-metadata (the snapshot, replaced atomically) and
// <dir>/cluster-metadata.log (deltas appended and synced, each framed with
// its length and CRC32C; a torn record at the end was never acknowledged
// and is ignored). docs/formats/cluster_metadata.md.
class file_metadata_store final : public metadata_store {
 public:
  file_metadata_store(storage::file_io& io, std::string dir) : io_(io), dir_(std::move(dir)) {}
  task<std::optional<stored_metadata>> load() override;
  task<bool> append(int64_t epoch, std::string delta) override;
  task<bool> save_snapshot(int64_t epoch, std::string snapshot) override;
  std::string describe() const override { return dir_ + "/" + k_snapshot_file; }

 private:
  static constexpr const char* k_snapshot_file = "cluster-metadata";
  static constexpr const char* k_log_file = "cluster-metadata.log";
  std::string log_path() const { return dir_ + "/" + k_log_file; }

  storage::file_io& io_;
  std::string dir_;
  uint64_t log_end_ = 0;  // where the next record goes
};

}  // namespace rill::control
