#include "dataplane/transaction/txn_metadata.h"

#include <algorithm>
#include <climits>

#include "base/assert.h"

namespace rill::transaction {

const char* txn_status_name(txn_status s) {
  switch (s) {
    case txn_status::empty:
      return "Empty";
    case txn_status::ongoing:
      return "Ongoing";
    case txn_status::prepare_commit:
      return "PrepareCommit";
    case txn_status::prepare_abort:
      return "PrepareAbort";
    case txn_status::complete_commit:
      return "CompleteCommit";
    case txn_status::complete_abort:
      return "CompleteAbort";
    case txn_status::dead:
      return "Dead";
    case txn_status::prepare_epoch_fence:
      return "PrepareEpochFence";
  }
  return "?";
}

const char* txn_errc_name(txn_errc e) {
  switch (e) {
    case txn_errc::ok:
      return "ok";
    case txn_errc::not_coordinator:
      return "not the coordinator";
    case txn_errc::coordinator_load_in_progress:
      return "coordinator loading";
    case txn_errc::coordinator_not_available:
      return "coordinator not available";
    case txn_errc::concurrent_transactions:
      return "concurrent transactions";
    case txn_errc::invalid_producer_id_mapping:
      return "invalid producer id mapping";
    case txn_errc::producer_fenced:
      return "producer fenced";
    case txn_errc::invalid_txn_state:
      return "invalid transaction state";
    case txn_errc::invalid_transaction_timeout:
      return "invalid transaction timeout";
    case txn_errc::unknown_topic_or_partition:
      return "unknown topic or partition";
    case txn_errc::operation_not_attempted:
      return "operation not attempted";
  }
  return "?";
}

txn_errc check_producer(const txn_metadata& current, int64_t producer_id, int16_t producer_epoch) {
  if (current.producer_id != producer_id) return txn_errc::invalid_producer_id_mapping;
  if (current.producer_epoch != producer_epoch) return txn_errc::producer_fenced;
  return txn_errc::ok;
}

init_outcome plan_init(const std::optional<txn_metadata>& current, const std::string& id,
                       int32_t timeout_ms, int32_t max_timeout_ms, int64_t new_producer_id,
                       int64_t now_ms, producer_identity expected) {
  if (timeout_ms <= 0 || timeout_ms > max_timeout_ms) {
    return {txn_errc::invalid_transaction_timeout};
  }
  if (expected.id >= 0 && (!current || current->producer_id != expected.id ||
                           current->producer_epoch != expected.epoch)) {
    return {txn_errc::producer_fenced};  // a newer instance took over, or the coordinator did
  }
  if (!current) {
    RILL_ASSERT(new_producer_id >= 0, "transactional id %s without a producer id", id.c_str());
    txn_metadata next{.id = id,
                      .producer_id = new_producer_id,
                      .producer_epoch = 0,
                      .timeout_ms = timeout_ms,
                      .status = txn_status::empty,
                      .update_ms = now_ms};
    return {txn_write{std::move(next)}};
  }
  if (current->preparing()) return {txn_errc::concurrent_transactions};
  txn_metadata next = *current;
  next.update_ms = now_ms;
  bool exhausted = current->producer_epoch >= INT16_MAX - 1;
  if (current->status == txn_status::ongoing) {
    // Abort what the previous instance left open, at a new epoch that
    // fences it; the caller retries once the abort completed.
    if (!exhausted) next.producer_epoch = static_cast<int16_t>(current->producer_epoch + 1);
    next.status = txn_status::prepare_abort;
    return {txn_write{std::move(next)}, true, false};
  }
  next.status = txn_status::empty;
  next.timeout_ms = timeout_ms;
  next.partitions.clear();
  next.start_ms = -1;
  if (exhausted) {
    RILL_ASSERT(new_producer_id >= 0, "transactional id %s exhausted its epochs", id.c_str());
    next.producer_id = new_producer_id;
    next.producer_epoch = 0;
    return {txn_write{std::move(next)}, false, true};
  }
  next.producer_epoch = static_cast<int16_t>(current->producer_epoch + 1);
  return {txn_write{std::move(next)}};
}

txn_plan plan_add_partitions(const txn_metadata& current, int64_t producer_id,
                             int16_t producer_epoch, const std::set<topic_partition>& partitions,
                             int64_t now_ms) {
  if (txn_errc e = check_producer(current, producer_id, producer_epoch); e != txn_errc::ok)
    return e;
  if (current.preparing()) return txn_errc::concurrent_transactions;
  if (current.status != txn_status::ongoing && !current.completed()) {
    return txn_errc::invalid_txn_state;
  }
  if (current.status == txn_status::ongoing &&
      std::includes(current.partitions.begin(), current.partitions.end(), partitions.begin(),
                    partitions.end())) {
    return txn_unchanged{};
  }
  txn_metadata next = current;
  if (current.status != txn_status::ongoing) {
    next.partitions.clear();
    next.start_ms = now_ms;
  }
  next.status = txn_status::ongoing;
  next.partitions.insert(partitions.begin(), partitions.end());
  next.update_ms = now_ms;
  return txn_write{std::move(next)};
}

txn_plan plan_end(const txn_metadata& current, int64_t producer_id, int16_t producer_epoch,
                  bool commit, int64_t now_ms) {
  if (txn_errc e = check_producer(current, producer_id, producer_epoch); e != txn_errc::ok) {
    return e;
  }
  switch (current.status) {
    case txn_status::ongoing: {
      txn_metadata next = current;
      next.status = commit ? txn_status::prepare_commit : txn_status::prepare_abort;
      next.update_ms = now_ms;
      return txn_write{std::move(next)};
    }
    case txn_status::complete_commit:
      // A retry of the end that completed; the other outcome is a misuse.
      return commit ? txn_plan{txn_unchanged{}} : txn_plan{txn_errc::invalid_txn_state};
    case txn_status::complete_abort:
      return commit ? txn_plan{txn_errc::invalid_txn_state} : txn_plan{txn_unchanged{}};
    case txn_status::prepare_commit:
      return commit ? txn_plan{txn_errc::concurrent_transactions}
                    : txn_plan{txn_errc::invalid_txn_state};
    case txn_status::prepare_abort:
      return commit ? txn_plan{txn_errc::invalid_txn_state}
                    : txn_plan{txn_errc::concurrent_transactions};
    default:
      return txn_errc::invalid_txn_state;
  }
}

std::optional<txn_metadata> plan_timeout_abort(const txn_metadata& current, int64_t now_ms) {
  if (current.status != txn_status::ongoing || current.start_ms < 0) return std::nullopt;
  if (now_ms - current.start_ms <= current.timeout_ms) return std::nullopt;
  txn_metadata next = current;
  if (current.producer_epoch < INT16_MAX - 1) {
    next.producer_epoch = static_cast<int16_t>(current.producer_epoch + 1);
  }
  next.status = txn_status::prepare_abort;
  next.update_ms = now_ms;
  return next;
}

txn_metadata completed(const txn_metadata& prepared, int64_t now_ms) {
  RILL_ASSERT(prepared.preparing(), "transactional id %s completed from %s", prepared.id.c_str(),
              txn_status_name(prepared.status));
  txn_metadata next = prepared;
  next.status = prepared.status == txn_status::prepare_commit ? txn_status::complete_commit
                                                              : txn_status::complete_abort;
  next.partitions.clear();
  next.start_ms = -1;
  next.update_ms = now_ms;
  return next;
}

}  // namespace rill::transaction
