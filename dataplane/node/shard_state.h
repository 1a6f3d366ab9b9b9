// shard_state: everything one shard of the broker owns: its share of the
// partitions (by hash of topic and partition), its copy of the cluster
// metadata snapshot, its file_io on the shard's ring, and the background
// loop that fsyncs interval-policy logs and applies retention.
//
// Created on the shard's thread at start-up and reached through local();
// destroyed in the shard's at_exit hook after shutdown() closed every log.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>

#include "base/task.h"
#include "control/metadata_model.h"
#include "dataplane/node/broker_settings.h"
#include "dataplane/partition/partition_replica.h"
#include "dataplane/replication/replica_fetcher.h"
#include "platform/runtime/shard.h"
#include "platform/runtime/wait_queue.h"
#include "storage/faulty_file_io.h"
#include "storage/uring/uring_file_io.h"

namespace rill::partition {

class shard_state {
 public:
  shard_state(runtime::shard& s, const broker_settings& settings);
  static shard_state& local();

  runtime::shard& shard() { return *shard_; }
  const broker_settings& settings() const { return *settings_; }
  storage::file_io& io() { return io_; }
  // What partition logs use: io() itself, or io() behind the fault layer
  // of test.disk.fault.file.
  storage::file_io& log_io();
  control::snapshot_ptr snapshot() const { return snapshot_; }
  // Whether this shard's metadata names this broker leader of the
  // partition (its replica may not have taken the leadership yet).
  bool named_leader(const std::string& topic, int32_t partition) const;

  // The shard that owns a partition on every broker of this build.
  runtime::shard_id owner_of(const std::string& topic, int32_t partition) const;
  partition_replica* find(const std::string& topic, int32_t partition);
  // For callers that await: the replica stays alive while they hold it,
  // even if a metadata change removes it from this shard meanwhile.
  std::shared_ptr<partition_replica> find_shared(const std::string& topic, int32_t partition);

  // Opens, updates and closes local partitions to match next (ignored when
  // it is not newer than the current snapshot). Returns when done.
  task<void> apply(control::snapshot_ptr next);
  void start_background();
  // The two steps of a stop. stop_replication(): no more metadata applies
  // (one in progress finishes first), every fetcher stopped. Then
  // close_partitions(): every replica goes offline (produces and fetches
  // waiting on it answer NOT_LEADER at once) and its log is flushed and
  // closed.
  task<void> stop_replication();
  task<void> close_partitions();
  // Where leaders send ISR changes (the controller); unset when standalone.
  void set_isr_change_sender(isr_change_sender sender) { isr_change_sender_ = std::move(sender); }
  // Fetchers reach leaders through transports from this (DPDK); TCP when unset.
  using transport_factory = std::function<std::unique_ptr<replication::replica_transport>(
      runtime::shard&, int32_t leader)>;
  void set_transport_factory(transport_factory f) { transport_factory_ = std::move(f); }
  void set_leadership_lease(const leadership_lease* lease) { lease_ = lease; }
  // Where replicas report their logs offline or healthy; unset when standalone.
  void set_replica_state_reporter(replica_state_reporter r) { state_reporter_ = std::move(r); }
  // After the broker registered anew: unhealthy replicas report again.
  void report_offline_replicas();
  size_t partition_count() const { return partitions_.size(); }
  // Calls fn with every replica this shard holds (for metrics).
  void for_each_replica(const std::function<void(const partition_replica&)>& fn) const;
  const replication_counters& counters() const { return counters_; }
  const storage::disk_stats& disk_stats() const { return io_.stats(); }
  const storage::staging_pool& staging() const { return staging_; }
  const storage::hot_tail_cache& hot_tails() const { return hot_tails_; }
  const storage::space_reservations& reservations() const { return reservations_; }
  // Woken whenever any partition of this shard gets data or a new high
  // watermark (long-polling fetches watch several partitions at once).
  runtime::wait_queue& activity() { return activity_; }

 private:
  using key = std::pair<std::string, int32_t>;
  task<void> apply_one(control::snapshot_ptr next);
  task<void> open_partition(const control::topic_info& topic, const control::partition_info& p);
  storage::log_options log_options_for(const control::topic_info& topic, int32_t index);
  task<void> background_loop();
  // The shard-level part of a compaction pass: the key map's memory (the
  // broker's log.cleaner.dedupe.buffer.size over its shards) and the I/O
  // budget (log.cleaner.io.max.bytes.per.second).
  storage::compaction_options cleaner_options();
  void check_health();
  void apply_disk_fault_file();
  task<void> reconcile_fetchers();

  runtime::shard* shard_;
  const broker_settings* settings_;
  storage::uring_file_io io_;
  // The shard's memory for its logs (declared before partitions_: they
  // must outlive every log).
  storage::staging_pool staging_;
  storage::hot_tail_cache hot_tails_;
  storage::space_reservations reservations_;
  control::snapshot_ptr snapshot_;
  replication_counters counters_;
  std::map<key, std::shared_ptr<partition_replica>> partitions_;
  bool applying_ = false;
  control::snapshot_ptr pending_;
  runtime::wait_queue applied_;
  runtime::wait_queue activity_;
  bool stopping_ = false;
  isr_change_sender isr_change_sender_;
  transport_factory transport_factory_;
  replica_state_reporter state_reporter_;
  std::unique_ptr<storage::faulty_file_io> fault_io_;  // test.disk.fault.file only
  std::string last_fault_word_;                        // what that file said last
  const leadership_lease* lease_ = nullptr;            // null: always leader when elected
  std::unique_ptr<net::provided_buffer_ring> fetch_buffers_;
  std::map<int32_t, std::unique_ptr<replication::replica_fetcher>> fetchers_;  // by leader broker
};

// The effective value of a topic config: the topic's override or the default.
std::string topic_config_value(const control::topic_info& topic, const std::string& key,
                               const std::string& fallback);

}  // namespace rill::partition
