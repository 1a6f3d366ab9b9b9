// transaction_coordinator: one shard's share of the transaction
// coordinator (KIP-98).
//
// A transactional id belongs to partition hash(id) mod N of
// __transaction_state; the broker leading that partition coordinates it,
// on the shard that owns the partition. For each such partition this shard
// leads, it holds the ids' metadata (txn_metadata), read from the
// partition when leadership arrives and dropped when it leaves (requests
// then answer NOT_COORDINATOR), as the group coordinator does with
// __consumer_offsets.
//
// Every change is written to the partition as an acks=all write and takes
// effect once committed. EndTxn is answered once PrepareCommit or
// PrepareAbort is written; the coordinator then writes the markers to
// every partition of the transaction (marker_writer: locally or with
// WriteTxnMarkers to the partition's leader), retrying until each is
// written, and writes CompleteCommit or CompleteAbort. A new leader that
// loads a prepared transaction finishes it. A background loop aborts
// transactions past their timeout, at a new producer epoch.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/task.h"
#include "dataplane/partition/partition_replica.h"
#include "dataplane/transaction/txn_metadata.h"
#include "platform/runtime/shard.h"
#include "platform/runtime/wait_queue.h"

namespace rill::transaction {

constexpr const char* k_txn_state_topic = "__transaction_state";

// Kafka's placement: abs(Java String.hashCode(id)) mod partitions.
int32_t txn_partition_for(const std::string& transactional_id, int32_t partitions);

// The markers of one decided transaction, for its partitions.
struct marker_job {
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  bool commit = false;
  int32_t coordinator_epoch = 0;
  std::vector<topic_partition> partitions;
};
// Writes a job's markers: one error per partition, in order. ok, and
// unknown_topic_or_partition (the partition is gone), are final; anything
// else is retried.
using marker_writer = std::function<task<std::vector<txn_errc>>(marker_job)>;
// A new producer id from the controller; -1 when none could be had.
using producer_id_allocator = std::function<task<int64_t>()>;

struct txn_coordinator_settings {
  int32_t max_timeout_ms = k_transaction_max_timeout_ms_default;  // transaction.max.timeout.ms
  int32_t write_timeout_ms = 5000;
  int32_t load_wait_ms = 5000;
  // transaction.abort.timed.out.transaction.cleanup.interval.ms
  int64_t abort_check_interval_ms = 10000;
  marker_writer write_markers;
  producer_id_allocator allocate_producer_id;
};

struct init_answer {
  txn_errc error = txn_errc::ok;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
};

// One shard's coordinator, for metrics.
struct txn_counters {
  uint64_t committed = 0;              // transactions completed by a commit
  uint64_t aborted = 0;                // by an abort (asked, timed out, or by a new instance)
  uint64_t timed_out = 0;              // aborts the coordinator started for a timeout
  uint64_t marker_rounds_retried = 0;  // rounds in which a marker had to be written again
};

struct txn_report {
  std::vector<size_t> ids_by_status;  // transactional ids loaded here, indexed by txn_status
  txn_counters counters;
};

class transaction_coordinator {
 public:
  static constexpr int64_t k_tick_ms = 100;
  static constexpr uint64_t k_settle_wait_ns = 2'000'000'000;

  transaction_coordinator(runtime::shard& s, txn_coordinator_settings settings);
  ~transaction_coordinator();
  static transaction_coordinator& local();

  void start();
  task<void> stop();

  // Each on the shard that owns state partition `partition`.
  task<init_answer> init_producer_id(int32_t partition, std::string id, int32_t timeout_ms,
                                     producer_identity expected = {});
  // One error per partition, in order.
  task<std::vector<txn_errc>> add_partitions(int32_t partition, std::string id, int64_t producer_id,
                                             int16_t producer_epoch,
                                             std::vector<topic_partition> partitions);
  task<txn_errc> end_txn(int32_t partition, std::string id, int64_t producer_id,
                         int16_t producer_epoch, bool commit);
  txn_report report() const;

 private:
  struct txn_slot {
    txn_metadata meta;
    bool busy = false;            // a write is in flight
    bool gone = false;            // unloaded
    runtime::wait_queue changed;  // a write finished, or the slot went
  };
  struct state_partition {
    explicit state_partition(int32_t i) : index(i) {}
    int32_t index;
    int32_t leader_epoch = -1;  // of the load: the coordinator epoch of its markers
    bool loading = false;
    bool loaded = false;
    std::shared_ptr<partition::partition_replica> replica;
    std::map<std::string, std::shared_ptr<txn_slot>> txns;
    runtime::wait_queue load_done;
  };
  struct operation {
    explicit operation(transaction_coordinator& c) : coordinator(&c) { ++c.operations_; }
    ~operation() { --coordinator->operations_; }
    operation(const operation&) = delete;
    operation& operator=(const operation&) = delete;
    transaction_coordinator* coordinator;
  };

  task<result<state_partition*, txn_errc>> acquire(int32_t partition);
  // Waits (at most k_settle_wait_ns) while a write to the slot is in flight
  // or its last transaction's markers are being written: the next
  // transaction's first request would otherwise be answered
  // CONCURRENT_TRANSACTIONS, which clients retry only after a backoff
  // (librdkafka: 20 ms). False if the slot went meanwhile.
  task<bool> settle(std::shared_ptr<txn_slot> slot);
  task<void> load(state_partition* part, std::shared_ptr<partition::partition_replica> replica);
  void unload(state_partition& part, const char* why);
  // Writes m as the id's record; on success it is the slot's metadata.
  task<txn_errc> write(state_partition& part, txn_slot& slot, txn_metadata m);
  // Writes the markers of the slot's prepared transaction, then completes it.
  task<void> finish(state_partition* part, std::shared_ptr<txn_slot> slot);
  task<void> background_loop();
  void load_led_partitions();
  void abort_timed_out(state_partition& part);
  bool still_current(const state_partition& part, int32_t epoch,
                     const std::shared_ptr<partition::partition_replica>& replica) const;

  runtime::shard* shard_;
  txn_coordinator_settings settings_;
  std::map<int32_t, std::unique_ptr<state_partition>> partitions_;
  bool stopping_ = false;
  bool loop_running_ = false;
  int64_t operations_ = 0;
  int64_t next_abort_check_ms_ = 0;
  txn_counters counters_;
};

}  // namespace rill::transaction
