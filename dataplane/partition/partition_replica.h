// partition_replica: one partition's replica on this broker: its log, its
// idempotent-producer table, its role (leader, follower or offline) and its
// high watermark. Owned by the shard that owns the partition (shard_state),
// used only on that shard's thread.
//
// As leader it tracks its followers (replication::isr_tracker): follower
// fetches move their log ends and the high watermark; ISR changes are asked
// of the controller (AlterPartition) and used only once accepted; acks=all
// produces wait for the high watermark to cover their batch. As follower it
// appends what its fetcher brings from the leader (keeping offsets and
// epochs), truncates where the leader's epoch history says its log
// diverged, and keeps the leader's high watermark.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "base/ids.h"
#include "base/task.h"
#include "base/turn_queue.h"
#include "control/controller_rpc.h"
#include "control/metadata_model.h"
#include "dataplane/partition/isr_tracker.h"
#include "dataplane/partition/leadership_lease.h"
#include "dataplane/partition/partition_errc.h"
#include "dataplane/partition/producer_state.h"
#include "dataplane/partition/transaction_state.h"
#include "platform/runtime/shard.h"
#include "platform/runtime/wait_queue.h"
#include "storage/partition_log.h"

namespace rill::partition {

struct produce_outcome {
  partition_errc error = partition_errc::ok;
  int64_t base_offset = -1;
  int64_t last_offset = -1;
  int64_t log_append_time_ms = -1;
  int64_t log_start_offset = -1;
};

struct fetch_outcome {
  partition_errc error = partition_errc::ok;
  int64_t high_watermark = -1;
  int64_t last_stable_offset = -1;
  // read_committed fetches: the aborted transactions overlapping records.
  std::vector<storage::aborted_txn> aborted;
  int64_t log_start_offset = -1;
  int32_t diverging_epoch = -1;  // follower fetches: where the follower's log diverged
  int64_t diverging_end_offset = -1;
  storage::read_result records;
};

struct offset_lookup {
  partition_errc error = partition_errc::ok;
  int64_t offset = -1;
  int64_t timestamp = -1;
  int32_t leader_epoch = -1;
};

enum class replica_role : uint8_t { offline, leader, follower };
const char* replica_role_name(replica_role r);

using isr_change_sender = std::function<task<std::optional<control::rpc::alter_partition_response>>(
    control::rpc::alter_partition_request)>;
// Tells the controller a replica's log is offline (true) or works again;
// returns whether the controller heard it.
using replica_state_reporter =
    std::function<task<bool>(std::string topic, int32_t partition, bool offline)>;

// The state of a replica's log as this broker sees it. A failed log (a
// failed write or fsync: what is on disk is uncertain) stays failed until
// the broker restarts and recovers it; a full disk recovers once space is
// free again. Either way the replica stops leading and following at once
// and the controller moves leadership and ISR membership to the others, as
// Kafka does when a log directory fails.
enum class log_health : uint8_t { healthy, disk_full, failed };

// Counts of one shard's replication events, for metrics; owned by the
// shard_state, written by its replicas on the shard's thread.
struct replication_counters {
  uint64_t isr_shrinks = 0;
  uint64_t isr_expands = 0;
  uint64_t isr_changes_refused = 0;
};

struct replica_options {
  int32_t broker_id = 1;
  int32_t min_insync_replicas = 1;
  int64_t replica_lag_time_max_ms = 30000;
  isr_change_sender send_isr_change;    // null: no controller (standalone)
  replica_state_reporter report_state;  // null: no controller (standalone)
  // Notified with data_arrived(): lets one waiter watch many partitions.
  runtime::wait_queue* shard_activity = nullptr;
  // Null: standalone, leader whenever elected.
  const leadership_lease* lease = nullptr;
  // Null: not counted (tests).
  replication_counters* counters = nullptr;
};

// One replica's state as the broker's metrics report it.
struct replica_report {
  replica_role role = replica_role::offline;
  log_health health = log_health::healthy;
  int32_t leader_id = -1;
  int32_t leader_epoch = -1;
  int64_t log_start_offset = 0;
  int64_t log_end_offset = 0;
  int64_t high_watermark = 0;
  int64_t last_stable_offset = 0;
  size_t open_transactions = 0;
  uint64_t size_bytes = 0;
  size_t replicas = 0;
  size_t isr = 0;
  int32_t min_insync_replicas = 1;
  std::vector<replication::follower_lag> followers;  // while leading
};

// A follower's fetch of one partition (Fetch with a replica id).
struct replica_fetch_request {
  ids::broker replica;
  ids::offset offset;
  ids::leader_epoch last_fetched_epoch = ids::k_no_leader_epoch;  // KIP-320 divergence check
  ids::leader_epoch current_leader_epoch = ids::k_no_leader_epoch;
  int32_t max_bytes = 0;
};

class partition_replica {
 public:
  partition_replica(runtime::shard& s, std::string topic, int32_t index,
                    std::unique_ptr<storage::partition_log> log, replica_options options);
  const std::string& topic() const { return topic_; }
  int32_t index() const { return index_; }

  // Rebuilds the idempotent-producer table and the open transactions from
  // nothing, from the recent log (start-up, truncation, a failed append): the last 64 MiB, and back
  // to where the last transaction checkpoint says an open transaction began.
  task<void> restore_producer_state();
  // Applies the controller's view: role, leader, epochs, replicas, ISR.
  void update(const control::partition_info& info);

  task<produce_outcome> produce(storage::batch_bytes records, int16_t acks, int32_t timeout_ms);
  // Leader, WriteTxnMarkers: appends the producer's commit or abort marker
  // as an acks=all write. fenced_producer_epoch when the partition has
  // seen a newer epoch of the producer.
  task<produce_outcome> write_marker(int64_t producer_id, int16_t producer_epoch,
                                     storage::txn_marker marker, int32_t timeout_ms);
  // Consumers: reads below the high watermark (read_uncommitted) or the
  // last stable offset (read_committed, with the aborted transactions). A
  // negative current_leader_epoch skips the KIP-320 check.
  task<fetch_outcome> fetch(ids::offset offset, int32_t max_bytes,
                            ids::leader_epoch current_leader_epoch, bool read_committed = false);
  // The first offset of no undecided transaction (KIP-98); the high
  // watermark when none is open.
  int64_t last_stable_offset() { return txns_.last_stable_offset(high_watermark_); }
  // Followers: reads below the log end; records the follower's progress.
  task<fetch_outcome> replica_fetch(const replica_fetch_request& req);
  task<offset_lookup> list_offset(int64_t timestamp, ids::leader_epoch current_leader_epoch,
                                  bool read_committed = false);
  // OffsetForLeaderEpoch: the largest epoch <= epoch this leader's log knows
  // and where it ends (the next epoch's start, or the log end); epoch and
  // offset -1 when epoch precedes the log's history.
  offset_lookup end_of_epoch(ids::leader_epoch epoch, ids::leader_epoch current_leader_epoch);
  // Leader, DeleteRecords: the log starts at offset (-1: the high
  // watermark) from now on. The new log start, or not_leader,
  // offset_out_of_range (past the high watermark) or policy_violation (a
  // compact-only topic). Followers follow through their fetches.
  task<offset_lookup> delete_records(ids::offset offset);
  // Leader: the idempotent producers with batches in this partition
  // (DescribeProducers); not_leader elsewhere.
  partition_errc active_producers(std::vector<producer_report>* out) const {
    if (partition_errc e = check_leadership(ids::k_no_leader_epoch); e != partition_errc::ok)
      return e;
    *out = producers_.report();
    for (producer_report& p : *out) {
      p.current_txn_start_offset = txns_.open_transaction(p.producer_id).value_or(-1);
    }
    return partition_errc::ok;
  }
  // Follower: the leader's log starts at leader_log_start; ours follows as
  // far as our log reaches.
  task<void> follow_log_start(ids::offset leader_log_start);

  // Leader: asks the controller for an ISR change when one is due.
  void maybe_change_isr();
  // Background: the interval policy's sync and retention (a failure takes
  // the replica out of service like a failed append).
  task<void> flush_if_due();
  task<void> apply_retention();
  // cleanup.policy=compact: one compaction pass over what lies below the
  // high watermark, with the topic's settings and the shard's limits in o.
  task<void> compact(storage::compaction_options o);
  // Follower: what the fetcher brought.
  task<partition_errc> append_from_leader(std::span<const uint8_t> records,
                                          ids::offset leader_high_watermark);
  // Follower: the leader says our log diverged; cut it at end_offset.
  task<partition_errc> truncate_diverged(ids::offset end_offset);
  // Follower: the leader's log starts past ours; start empty at offset.
  task<partition_errc> reset_to(ids::offset offset);

  log_health health() const { return health_; }
  replica_report report(int64_t now_ms) const;
  // Background (shard_state): reports an unhealthy log until the controller
  // heard it, and brings a full disk's replica back once the disk (of
  // disk_bytes) has free_bytes: 64 MiB, or 5 % of a smaller disk.
  void check_health(uint64_t free_bytes, uint64_t disk_bytes);
  // The broker registered anew: the controller believes this replica
  // healthy; report it again if it is not.
  void report_health_again() { health_reported_ = false; }

  replica_role role() const { return role_; }
  bool is_leader() const { return role_ == replica_role::leader; }
  int32_t leader_id() const { return leader_id_; }
  int32_t leader_epoch() const { return leader_epoch_; }
  int64_t high_watermark() const { return high_watermark_; }
  int64_t log_end_offset() const { return log_->log_end_offset(); }
  // Woken on appends, high-watermark moves, role and ISR changes.
  runtime::wait_queue& data_arrived() { return data_arrived_; }
  storage::partition_log& log() { return *log_; }
  uint64_t size_bytes() const { return log_->size_bytes(); }

  task<void> close();

 private:
  // not_leader unless this replica leads; then the epoch check of KIP-320
  // (a negative current_leader_epoch skips it).
  partition_errc check_leadership(ids::leader_epoch current_leader_epoch) const;
  // One batch of a produce, staged in the log (or recognised as a
  // duplicate of an idempotent producer's earlier batch).
  struct pending_append {
    storage::staged_append append{};
    batch_identity id{-1, -1, -1, -1};
    bool needs_write = true;
    std::optional<storage::aborted_txn> aborted{};  // an abort marker's transaction
    static pending_append staged(storage::staged_append a, batch_identity id) {
      return {a, id, true};
    }
    static pending_append duplicate(storage::append_result original) {
      return {{original, 0}, {-1, -1, -1, -1}, false};
    }
    const storage::append_result& offsets() const { return append.offsets; }
  };
  // Who a batch comes from: clients may not write control batches.
  enum class batch_origin : uint8_t { client, coordinator };
  task<produce_outcome> produce_from(storage::batch_bytes records, int16_t acks, int32_t timeout_ms,
                                     batch_origin origin);
  // REQUIRES: the caller holds a produce turn.
  task<produce_outcome> stage_one(storage::batch_bytes batch, batch_origin origin,
                                  std::vector<pending_append>* pending);
  // A batch now in the log (any path): the transaction state and the
  // aborted-transaction index follow it.
  task<void> observe_transaction(std::span<const uint8_t> batch);
  // Writes the open transactions (transaction_state::checkpoint) when they
  // changed and the last write is k_txn_checkpoint_interval_ns old, or
  // always when `now` (close).
  task<void> checkpoint_transactions(bool now);
  // Waits for the staged appends; the offsets of the first, or the first
  // failure.
  task<produce_outcome> finish_appends(std::vector<pending_append>& pending);
  task<partition_errc> wait_for_commit(int64_t end_offset, int32_t epoch, uint64_t deadline_ns);
  void advance_high_watermark();
  void notify_waiters();
  task<void> send_isr_change(replication::isr_change change);
  // A log operation failed with e: a storage failure takes the replica out
  // of service (see log_health); other errors are the request's own.
  void note_log_result(storage::log_errc e);
  task<void> report_health();

  runtime::shard* shard_;
  std::string topic_;
  int32_t index_;
  std::unique_ptr<storage::partition_log> log_;
  replica_options options_;
  replica_role role_ = replica_role::offline;
  int32_t leader_id_ = -1;
  int32_t leader_epoch_ = -1;
  int32_t partition_epoch_ = -1;
  std::vector<int32_t> replicas_;
  std::vector<int32_t> isr_;
  int64_t high_watermark_ = 0;
  std::unique_ptr<replication::isr_tracker> tracker_;  // while leading
  // Counts the trackers made: an ISR change answered after its tracker was
  // replaced (a log that failed and recovered within one leader epoch) is
  // not given to the new one.
  uint64_t tracker_generation_ = 0;
  producer_state producers_;
  transaction_state txns_;
  // A staged append failed: the log dropped it and everything staged
  // behind it, so the producer table and open transactions (updated at
  // staging) are read again from the log before the next append.
  bool rebuild_producer_state_ = false;
  uint64_t last_txn_checkpoint_ns_ = 0;
  turn_queue produce_turns_;  // produce requests stage in arrival order
  log_health health_ = log_health::healthy;
  bool health_reported_ = true;  // the controller knows health_
  bool health_report_running_ = false;
  bool closed_ = false;
  runtime::wait_queue data_arrived_;
};

// Milliseconds of the steady clock: what the ISR rules measure lag and
// time since catch-up with. Not a timestamp (records and commits take the
// system clock).
int64_t steady_clock_ms();

}  // namespace rill::partition
