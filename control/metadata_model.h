// The cluster metadata model: brokers, topics, partitions with their replica
// lists, leaders, leader epochs and ISRs. Owned by the control plane (the
// controller writes it; brokers hold read-only snapshots of it).
//
// A cluster_snapshot is immutable once published: readers on any shard share
// it through shared_ptr<const>, and a newer snapshot (higher epoch) replaces
// it whole, so a stale update can never overwrite a newer one.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace rill::control {

struct broker_info {
  int32_t id = -1;
  std::string host;
  int32_t port = 0;
  std::optional<std::string> rack;
  bool alive = true;
  bool operator==(const broker_info&) const = default;
};

struct partition_info {
  int32_t index = 0;
  int32_t leader = -1;  // -1: offline
  int32_t leader_epoch = 0;
  int32_t partition_epoch = 0;
  std::vector<int32_t> replicas;  // the first is the preferred leader
  std::vector<int32_t> isr;
  // Replicas whose log failed on their broker (a disk error or a full
  // disk): never elected, never added to the ISR, until their broker
  // reports them healthy or registers again (Kafka's offline replicas).
  std::vector<int32_t> offline_replicas;
  // An ongoing reassignment (KIP-455): replicas holds the target replicas
  // followed by the original ones leaving; adding are target replicas not
  // yet caught up, removing original replicas not in the target. Both
  // empty: none in progress.
  std::vector<int32_t> adding_replicas;
  std::vector<int32_t> removing_replicas;
  bool reassigning() const { return !adding_replicas.empty() || !removing_replicas.empty(); }
  bool operator==(const partition_info&) const = default;
};

struct topic_info {
  std::string name;
  std::array<uint8_t, 16> id{};
  std::map<std::string, std::string> configs;  // overrides of broker defaults
  std::vector<partition_info> partitions;
};

// How an alteration applies to a topic's config overrides: AlterConfigs
// replaces them all with `set` (Kafka's non-incremental semantics);
// IncrementalAlterConfigs merges `set` and removes `removed`.
enum class config_alter_mode : uint8_t { merge = 0, replace = 1 };
struct topic_config_change {
  std::vector<std::pair<std::string, std::string>> set;
  std::vector<std::string> removed;  // back to the broker default
  config_alter_mode mode = config_alter_mode::merge;
};

struct cluster_snapshot {
  int64_t epoch = 0;
  std::string cluster_id;
  int32_t controller_id = -1;
  std::map<int32_t, broker_info> brokers;
  std::map<std::string, topic_info> topics;
  // The first producer id not yet handed out in a block (KIP-730): ids
  // are unique for the cluster's life because every block is stored here
  // before a broker uses it.
  int64_t next_producer_id = 0;

  const topic_info* find_topic(const std::string& name) const {
    auto it = topics.find(name);
    return it == topics.end() ? nullptr : &it->second;
  }
  const partition_info* find_partition(const std::string& topic, int32_t index) const;
};

using snapshot_ptr = std::shared_ptr<const cluster_snapshot>;

// Producer ids go to brokers in blocks of this many.
constexpr int32_t k_producer_id_block = 1000;

// Takes the next block of producer ids from s; returns its first id.
int64_t take_producer_id_block(cluster_snapshot& s);

// Text form used by the embedded store (docs/formats/cluster_metadata.md).
std::string serialize_snapshot(const cluster_snapshot& s);
bool parse_snapshot(const std::string& text, cluster_snapshot* out);

// A metadata delta: what changed from `before` to `after` (after.epoch is
// before.epoch + 1), as lines of the same form plus removals; its size
// follows the change, not the cluster (docs/formats/cluster_metadata.md).
std::string serialize_delta(const cluster_snapshot& before, const cluster_snapshot& after);
// Applies a delta to s, which must be at the epoch before the delta's;
// false (s unspecified) when the text is malformed or the epochs do not follow.
bool apply_delta(const std::string& text, cluster_snapshot* s);
// The epoch a delta leads to, or -1 when its header is malformed.
int64_t delta_epoch(const std::string& text);

std::string topic_id_hex(const std::array<uint8_t, 16>& id);
std::array<uint8_t, 16> random_topic_id();

}  // namespace rill::control
