// broker_context: the broker-wide services that cross shards. The metadata
// authority (control::metadata_service) and the producer-id allocator live
// on shard 0; every other shard reaches them through submit_to(), and every
// metadata change is broadcast to all shards before the caller hears of it.
//
// Created by the broker before the runtime starts; outlives every shard.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "base/task.h"
#include "control/metadata_service.h"
#include "dataplane/node/broker_settings.h"
#include "dataplane/node/controller_link.h"
#include "dataplane/partition/leadership_lease.h"
#include "platform/runtime/runtime.h"

namespace rill::partition {

class broker_context {
 public:
  broker_context(runtime::runtime& rt, const broker_settings& settings);

  // Shard 0 only, at start-up: loads the store, registers this broker.
  task<bool> start_metadata(storage::file_io& io);

  // Any shard. Each returns after every shard applied the result.
  task<std::vector<control::topic_outcome>> create_topics(std::vector<control::topic_spec> specs,
                                                          bool validate_only);
  task<std::vector<control::topic_outcome>> delete_topics(std::vector<std::string> names);
  task<control::topic_outcome> alter_topic_config(std::string name,
                                                  control::topic_config_change change);
  task<std::vector<control::topic_outcome>> create_partitions(
      std::vector<control::partition_increase> increases, bool validate_only);
  // A producer id never handed out before in this cluster, or -1 when no
  // block of them could be had (the controller unreachable).
  task<int64_t> allocate_producer_id();
  // Starts or cancels partition reassignments; one result per partition,
  // in order, with the controller's wire error codes (0, a topic_errc, or
  // rpc::k_error_reassign_base + reassign_errc).
  task<std::vector<control::rpc::topic_result_wire>> alter_reassignments(
      control::rpc::alter_reassignments_request req);
  // Preferred leader election now; returns how many leaderships moved, or
  // -1 when the controller could not be reached.
  task<int32_t> elect_preferred();
  // Forwards a partition leader's ISR change to the controller (shard 0).
  task<std::optional<control::rpc::alter_partition_response>> alter_partition(
      control::rpc::alter_partition_request req);
  // Any shard: tells the controller that a replica's log went offline (or
  // works again). False when it could not be told; the caller retries.
  task<bool> report_replica_state(std::string topic, int32_t partition, bool offline);

  const broker_settings& settings() const { return *settings_; }
  bool has_controller() const { return !settings_->controller.empty(); }
  // Whether this broker may act as a leader now (any shard).
  const leadership_lease& lease() const { return lease_; }
  // Shard 0: controlled shutdown and closing the controller connections.
  task<void> stop_metadata();
  // Any shard: whether stop_metadata() finished (shards close their
  // partitions only after leadership moved away).
  bool metadata_stopped() const { return metadata_stopped_.load(std::memory_order_acquire); }

 private:
  task<void> broadcast(control::snapshot_ptr snapshot);
  // The same operations, on shard 0.
  task<std::vector<control::topic_outcome>> create_topics_here(
      std::vector<control::topic_spec> specs, bool validate_only);
  task<std::vector<control::topic_outcome>> delete_topics_here(std::vector<std::string> names);
  task<control::topic_outcome> alter_topic_config_here(std::string name,
                                                       control::topic_config_change change);
  task<std::vector<control::topic_outcome>> create_partitions_here(
      std::vector<control::partition_increase> increases, bool validate_only);

  runtime::runtime* runtime_;
  const broker_settings* settings_;
  task<std::vector<control::topic_outcome>> forward_topics(control::rpc::api key,
                                                           std::vector<control::topic_spec> specs,
                                                           std::vector<std::string> names,
                                                           bool validate_only);
  task<void> wait_for_epoch(int64_t epoch);
  task<int32_t> elect_preferred_here();
  task<int64_t> allocate_producer_id_here();
  task<std::vector<control::rpc::topic_result_wire>> alter_reassignments_here(
      control::rpc::alter_reassignments_request req);
  task<std::optional<control::rpc::alter_partition_response>> alter_partition_here(
      control::rpc::alter_partition_request req);
  task<bool> report_replica_state_here(std::string topic, int32_t partition, bool offline);
  // After a registration: every shard reports its offline replicas again.
  task<void> report_offline_replicas_again();

  std::unique_ptr<control::metadata_service> metadata_;  // standalone: used on shard 0 only
  std::unique_ptr<controller_link> link_;                // with a controller: shard 0 only
  // The producer-id block being handed out, [next, end) (shard 0).
  int64_t next_producer_id_ = 0;
  int64_t producer_id_end_ = 0;
  leadership_lease lease_;  // with a controller: held only while it answers
  std::atomic<bool> metadata_stopped_{false};
};

}  // namespace rill::partition
