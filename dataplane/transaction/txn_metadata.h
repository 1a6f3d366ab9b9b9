// txn_metadata: one transactional id as its coordinator keeps it, and the
// rules of Kafka's transaction state machine (KIP-98) as pure functions:
// each request's plan is either an error, "already so" (nothing to write),
// or the metadata to write to __transaction_state before it takes effect.
//
//   Empty/CompleteCommit/CompleteAbort --AddPartitions--> Ongoing
//   Ongoing --EndTxn(commit)--> PrepareCommit --markers written--> CompleteCommit
//   Ongoing --EndTxn(abort), timeout, InitProducerId--> PrepareAbort --> CompleteAbort
//   any completed state --InitProducerId--> Empty at epoch + 1
//
// A timeout or a new InitProducerId aborts an ongoing transaction at a
// bumped epoch, which fences the producer that was running it.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <variant>

namespace rill::transaction {

// The values Kafka's transaction log stores.
enum class txn_status : int8_t {
  empty = 0,
  ongoing = 1,
  prepare_commit = 2,
  prepare_abort = 3,
  complete_commit = 4,
  complete_abort = 5,
  dead = 6,
  prepare_epoch_fence = 7,
};
const char* txn_status_name(txn_status s);

enum class txn_errc : uint8_t {
  ok = 0,
  not_coordinator,
  coordinator_load_in_progress,
  coordinator_not_available,
  concurrent_transactions,
  invalid_producer_id_mapping,
  producer_fenced,
  invalid_txn_state,
  invalid_transaction_timeout,
  unknown_topic_or_partition,
  operation_not_attempted,
};
const char* txn_errc_name(txn_errc e);

using topic_partition = std::pair<std::string, int32_t>;

struct txn_metadata {
  std::string id;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int32_t timeout_ms = 60000;
  txn_status status = txn_status::empty;
  std::set<topic_partition> partitions;
  int64_t start_ms = -1;   // when the ongoing transaction began
  int64_t update_ms = -1;  // the last change

  bool operator==(const txn_metadata&) const = default;
  bool preparing() const {
    return status == txn_status::prepare_commit || status == txn_status::prepare_abort;
  }
  bool completed() const {
    return status == txn_status::empty || status == txn_status::complete_commit ||
           status == txn_status::complete_abort;
  }
};

// What a request does: refuse, change nothing, or write this metadata.
struct txn_write {
  txn_metadata next;
};
struct txn_unchanged {};
using txn_plan = std::variant<txn_errc, txn_unchanged, txn_write>;

struct init_outcome {
  txn_plan plan;
  // The ongoing transaction is aborted first (plan writes PrepareAbort);
  // the client is answered CONCURRENT_TRANSACTIONS and retries.
  bool aborting_first = false;
  // The epoch is exhausted: the write needs a new producer id.
  bool needs_new_producer_id = false;
};

constexpr int32_t k_transaction_max_timeout_ms_default = 900000;  // transaction.max.timeout.ms

// A running producer's id and epoch, which InitProducerId v3+ may carry
// to bump its epoch after an abortable error (KIP-360).
struct producer_identity {
  int64_t id = -1;
  int16_t epoch = -1;
};

// InitProducerId with a transactional id. current: nullopt for a new id
// (the caller then supplies new_producer_id). expected: the producer's
// id and epoch when the request names them; PRODUCER_FENCED unless they
// are the id's current ones.
init_outcome plan_init(const std::optional<txn_metadata>& current, const std::string& id,
                       int32_t timeout_ms, int32_t max_timeout_ms, int64_t new_producer_id,
                       int64_t now_ms, producer_identity expected = {});
// AddPartitionsToTxn / AddOffsetsToTxn.
txn_plan plan_add_partitions(const txn_metadata& current, int64_t producer_id,
                             int16_t producer_epoch, const std::set<topic_partition>& partitions,
                             int64_t now_ms);
// EndTxn: writes PrepareCommit/PrepareAbort; "unchanged" for a retry of an
// end already completed.
txn_plan plan_end(const txn_metadata& current, int64_t producer_id, int16_t producer_epoch,
                  bool commit, int64_t now_ms);
// The coordinator aborts an ongoing transaction past its timeout, fencing
// its producer with a new epoch.
std::optional<txn_metadata> plan_timeout_abort(const txn_metadata& current, int64_t now_ms);
// Every marker of a prepared transaction is written: CompleteCommit or
// CompleteAbort, with no partitions.
txn_metadata completed(const txn_metadata& prepared, int64_t now_ms);
// Checks a request's producer id and epoch against the metadata.
txn_errc check_producer(const txn_metadata& current, int64_t producer_id, int16_t producer_epoch);

}  // namespace rill::transaction
