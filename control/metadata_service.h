// metadata_service: the authority over cluster metadata. It validates and applies topic changes,
// assigns replicas, bumps the metadata epoch, and writes every change to its store before anyone
// hears of it (the new snapshot is returned only after the write was synced).
//
// A change is stored as a delta (serialize_delta: its size follows the
// change); once the deltas since the last snapshot outweigh it, the next
// change writes a whole snapshot instead, so storage stays O(change)
// amortized. The latest deltas stay in memory for brokers that follow the
// metadata (deltas_after).
//
// Used by one thread at a time (the broker's shard 0 in single-node mode,
// the controller's loop otherwise). The store is a snapshot_store: by
// default files written through storage::file_io, or etcd; a
// restart recovers everything acknowledged.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/task.h"
#include "base/waiter_list.h"
#include "control/metadata_model.h"
#include "control/metadata_store.h"
#include "storage/file_io.h"

namespace rill::control {

enum class topic_errc : uint8_t {
  ok = 0,
  already_exists,
  unknown_topic,
  invalid_name,
  invalid_partitions,
  invalid_replication_factor,
  invalid_config,
  not_enough_brokers,
  storage_error,
  controller_unavailable,  // a broker could not reach the controller
  invalid_replica_assignment,
};
const char* topic_errc_name(topic_errc e);

struct topic_spec {
  std::string name;
  int32_t partitions = -1;          // -1: default
  int32_t replication_factor = -1;  // -1: default
  std::vector<std::pair<std::string, std::string>> configs;
  // Manual placement, one replica list per partition in index order (then
  // partitions and replication_factor are -1); empty: placed by the controller.
  std::vector<std::vector<int32_t>> assignments;
};

// CreatePartitions: grow a topic to `count` partitions; the new ones are
// placed like a new topic's, or on the given brokers (one list each).
struct partition_increase {
  std::string name;
  int32_t count = 0;
  std::vector<std::vector<int32_t>> assignments;  // empty: placed by the controller
};

struct topic_outcome {
  std::string name;
  topic_errc error = topic_errc::ok;
  std::string message;
};

struct metadata_service_options {
  std::string dir;
  std::string cluster_id = "rill-cluster";
  int32_t default_partitions = 1;
  int32_t default_replication_factor = 1;
  int32_t partitions_max = 10000;
  // Replication factors above this are refused with the reason below (the
  // data path cannot replicate beyond it).
  int32_t replication_factor_max = 1;
  std::string replication_factor_max_reason = "inter-broker replication is not available yet";
  // Null: the embedded store (a file_metadata_store in dir).
  metadata_store* store = nullptr;
};

class metadata_service {
 public:
  metadata_service(storage::file_io& io, metadata_service_options options);

  // Loads the store (an empty cluster when there is none).
  task<topic_errc> load();
  snapshot_ptr snapshot() const { return snapshot_; }
  using delta_ptr = std::shared_ptr<const std::string>;
  // The deltas from known_epoch to the current epoch, oldest first, when
  // all of them are still in memory (the latest k_recent_deltas_max);
  // nullopt otherwise (the follower needs the whole snapshot).
  std::optional<std::vector<delta_ptr>> deltas_after(int64_t known_epoch) const;
  // How the store was written since load(), for metrics and tests.
  struct store_counters {
    uint64_t deltas_appended = 0;
    uint64_t snapshots_written = 0;
    uint64_t bytes_written = 0;
  };
  const store_counters& counters() const { return counters_; }

  // Registers or updates a broker (host, port, rack) and its liveness.
  task<topic_errc> upsert_broker(broker_info broker);
  task<std::vector<topic_outcome>> create_topics(std::vector<topic_spec> specs, bool validate_only);
  task<std::vector<topic_outcome>> delete_topics(std::vector<std::string> names);
  task<std::vector<topic_outcome>> create_partitions(std::vector<partition_increase> increases,
                                                     bool validate_only);
  task<topic_outcome> alter_topic_config(std::string name, topic_config_change change);
  // Applies any other change (elections, ISR changes, liveness) to a copy
  // of the snapshot and publishes it when mutate returns true.
  task<topic_errc> update(std::function<bool(cluster_snapshot&)> mutate);

 private:
  topic_outcome validate(const topic_spec& spec, const cluster_snapshot& s) const;
  topic_outcome validate_increase(const partition_increase& inc, const cluster_snapshot& s) const;
  topic_outcome validate_assignment(const topic_spec& spec, const cluster_snapshot& s) const;
  task<topic_errc> publish(std::shared_ptr<cluster_snapshot> next);
  // Writes next to the store: a delta, or a snapshot when the log has
  // grown past the last one.
  task<bool> store_change(const cluster_snapshot& next, const std::string& delta);
  void remember(int64_t epoch, std::string delta);

  // Changes are read-modify-write of the snapshot across an await (the
  // store write): one at a time, or a concurrent change would be lost.
  task<void> lock();
  void unlock();
  struct unlock_on_exit {
    metadata_service* service;
    ~unlock_on_exit() { service->unlock(); }
  };

  metadata_service_options options_;
  std::unique_ptr<metadata_store> own_store_;  // the embedded file store, unless options_.store
  metadata_store* store_;
  bool busy_ = false;
  waiter_list idle_;
  snapshot_ptr snapshot_;
  int32_t next_start_index_ = 0;
  size_t snapshot_bytes_ = 0;  // of the last snapshot stored
  size_t log_bytes_ = 0;       // of the deltas stored since
  std::deque<std::pair<int64_t, delta_ptr>> recent_deltas_;
  store_counters counters_;
};

}  // namespace rill::control
