// snapshot_store: where the controller keeps the serialized cluster
// snapshot: a file written atomically in a directory (file_snapshot_store,
// the embedded default) or etcd (control/etcd/).
#pragma once

#include <optional>
#include <string>

#include "base/task.h"
#include "storage/file_io.h"

namespace rill::control {

class snapshot_store {
 public:
  virtual ~snapshot_store() = default;
  // The stored text; an empty optional inside when nothing was stored yet.
  // nullopt: the store could not be read (logged).
  virtual task<std::optional<std::optional<std::string>>> load() = 0;
  // True once the text is durable in the store and this writer was still
  // entitled to write it; false (logged) otherwise.
  virtual task<bool> save(std::string text) = 0;
  virtual std::string describe() const = 0;
};

// <dir>/cluster-metadata, replaced atomically (write, fdatasync, rename).
class file_snapshot_store final : public snapshot_store {
 public:
  file_snapshot_store(storage::file_io& io, std::string dir) : io_(io), dir_(std::move(dir)) {}
  task<std::optional<std::optional<std::string>>> load() override;
  task<bool> save(std::string text) override;
  std::string describe() const override { return dir_ + "/" + k_file; }

 private:
  static constexpr const char* k_file = "cluster-metadata";
  storage::file_io& io_;
  std::string dir_;
};

}  // namespace rill::control
