// snapshot_store: where the controller keeps the serialized cluster
// snapshot when it is not the embedded file (metadata_service's default),
// e.g. etcd (control/etcd/). Calls may block briefly.
#pragma once

#include <optional>
#include <string>

namespace rill::control {

class snapshot_store {
 public:
  virtual ~snapshot_store() = default;
  // The stored text; an empty optional inside when nothing was stored yet.
  // nullopt: the store could not be read.
  virtual std::optional<std::optional<std::string>> load() = 0;
  // True once the text is durable in the store and this writer was still
  // entitled to write it.
  virtual bool save(const std::string& text) = 0;
  virtual std::string describe() const = 0;
};

}  // namespace rill::control
