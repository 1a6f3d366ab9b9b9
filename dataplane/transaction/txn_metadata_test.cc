#include "dataplane/transaction/txn_metadata.h"

#include <gtest/gtest.h>

#include "dataplane/transaction/txn_records.h"

namespace rill::transaction {
namespace {

constexpr int32_t k_max = k_transaction_max_timeout_ms_default;

txn_metadata written(const txn_plan& p) {
  EXPECT_TRUE(std::holds_alternative<txn_write>(p)) << "expected a write";
  return std::holds_alternative<txn_write>(p) ? std::get<txn_write>(p).next : txn_metadata{};
}

txn_errc error_of(const txn_plan& p) {
  return std::holds_alternative<txn_errc>(p) ? std::get<txn_errc>(p) : txn_errc::ok;
}

TEST(txn_metadata, a_transaction_runs_from_init_through_commit) {
  init_outcome init = plan_init(std::nullopt, "tx", 60000, k_max, 1000, 1);
  txn_metadata m = written(init.plan);
  EXPECT_EQ(m.producer_id, 1000);
  EXPECT_EQ(m.producer_epoch, 0);
  EXPECT_EQ(m.status, txn_status::empty);

  m = written(plan_add_partitions(m, 1000, 0, {{"t", 0}, {"t", 1}}, 5));
  EXPECT_EQ(m.status, txn_status::ongoing);
  EXPECT_EQ(m.start_ms, 5);
  EXPECT_TRUE(std::holds_alternative<txn_unchanged>(plan_add_partitions(m, 1000, 0, {{"t", 1}}, 6)))
      << "a partition already in the transaction needs no write";
  m = written(plan_add_partitions(m, 1000, 0, {{"u", 0}}, 7));
  EXPECT_EQ(m.partitions.size(), 3u);
  EXPECT_EQ(m.start_ms, 5) << "the transaction started with its first partition";

  m = written(plan_end(m, 1000, 0, true, 8));
  EXPECT_EQ(m.status, txn_status::prepare_commit);
  EXPECT_EQ(error_of(plan_add_partitions(m, 1000, 0, {{"v", 0}}, 9)),
            txn_errc::concurrent_transactions)
      << "nothing joins while the markers are written";
  EXPECT_EQ(error_of(plan_end(m, 1000, 0, true, 9)), txn_errc::concurrent_transactions);
  EXPECT_EQ(error_of(plan_end(m, 1000, 0, false, 9)), txn_errc::invalid_txn_state);
  m = completed(m, 10);
  EXPECT_EQ(m.status, txn_status::complete_commit);
  EXPECT_TRUE(m.partitions.empty());
  EXPECT_TRUE(std::holds_alternative<txn_unchanged>(plan_end(m, 1000, 0, true, 11)))
      << "a retried commit that completed is answered ok";
  EXPECT_EQ(error_of(plan_end(m, 1000, 0, false, 11)), txn_errc::invalid_txn_state);

  // The next transaction of the same producer starts afresh.
  m = written(plan_add_partitions(m, 1000, 0, {{"w", 2}}, 12));
  EXPECT_EQ(m.partitions.size(), 1u);
  EXPECT_EQ(m.start_ms, 12);
}

TEST(txn_metadata, producers_are_fenced_by_id_and_epoch) {
  txn_metadata m = written(plan_init(std::nullopt, "tx", 60000, k_max, 7, 1).plan);
  EXPECT_EQ(error_of(plan_add_partitions(m, 8, 0, {{"t", 0}}, 2)),
            txn_errc::invalid_producer_id_mapping);
  init_outcome again = plan_init(m, "tx", 60000, k_max, -1, 3);
  txn_metadata next = written(again.plan);
  EXPECT_EQ(next.producer_epoch, 1) << "a new instance of the producer bumps the epoch";
  EXPECT_FALSE(again.aborting_first);
  EXPECT_EQ(error_of(plan_add_partitions(next, 7, 0, {{"t", 0}}, 4)), txn_errc::producer_fenced);
  EXPECT_EQ(error_of(plan_end(next, 7, 0, true, 4)), txn_errc::producer_fenced);
  EXPECT_EQ(error_of(plan_init(next, "tx", 60000, k_max, -1, 5, {7, 0}).plan),
            txn_errc::producer_fenced)
      << "KIP-360: the old instance may not bump the epoch it lost";
  EXPECT_EQ(written(plan_init(next, "tx", 60000, k_max, -1, 5, {7, 1}).plan).producer_epoch, 2)
      << "the current instance may";
}

TEST(txn_metadata, a_new_instance_aborts_what_the_old_one_left_open) {
  txn_metadata m = written(plan_init(std::nullopt, "tx", 60000, k_max, 7, 1).plan);
  m = written(plan_add_partitions(m, 7, 0, {{"t", 0}}, 2));
  init_outcome init = plan_init(m, "tx", 60000, k_max, -1, 3);
  EXPECT_TRUE(init.aborting_first);
  txn_metadata aborting = written(init.plan);
  EXPECT_EQ(aborting.status, txn_status::prepare_abort);
  EXPECT_EQ(aborting.producer_epoch, 1) << "the abort fences the old instance";
  EXPECT_EQ(aborting.partitions, m.partitions) << "the markers go where the data went";
  EXPECT_EQ(error_of(plan_init(aborting, "tx", 60000, k_max, -1, 4).plan),
            txn_errc::concurrent_transactions);
  txn_metadata done = completed(aborting, 5);
  txn_metadata ready = written(plan_init(done, "tx", 60000, k_max, -1, 6).plan);
  EXPECT_EQ(ready.producer_epoch, 2);
  EXPECT_EQ(ready.status, txn_status::empty);
}

TEST(txn_metadata, timeouts_abort_at_a_new_epoch_and_bad_timeouts_are_refused) {
  EXPECT_EQ(error_of(plan_init(std::nullopt, "tx", 0, k_max, 7, 1).plan),
            txn_errc::invalid_transaction_timeout);
  EXPECT_EQ(error_of(plan_init(std::nullopt, "tx", k_max + 1, k_max, 7, 1).plan),
            txn_errc::invalid_transaction_timeout);
  txn_metadata m = written(plan_init(std::nullopt, "tx", 1000, k_max, 7, 1).plan);
  EXPECT_FALSE(plan_timeout_abort(m, 1'000'000)) << "nothing open";
  m = written(plan_add_partitions(m, 7, 0, {{"t", 0}}, 100));
  EXPECT_FALSE(plan_timeout_abort(m, 1100));
  std::optional<txn_metadata> aborted = plan_timeout_abort(m, 1101);
  ASSERT_TRUE(aborted);
  EXPECT_EQ(aborted->status, txn_status::prepare_abort);
  EXPECT_EQ(aborted->producer_epoch, 1);
}

TEST(txn_metadata, an_exhausted_epoch_takes_a_new_producer_id) {
  txn_metadata m = written(plan_init(std::nullopt, "tx", 1000, k_max, 7, 1).plan);
  m.producer_epoch = INT16_MAX - 1;
  init_outcome init = plan_init(m, "tx", 1000, k_max, 99, 2);
  EXPECT_TRUE(init.needs_new_producer_id);
  txn_metadata next = written(init.plan);
  EXPECT_EQ(next.producer_id, 99);
  EXPECT_EQ(next.producer_epoch, 0);
}

TEST(txn_records, values_round_trip_and_damage_is_refused) {
  txn_metadata m{.id = "payments-1",
                 .producer_id = 4242,
                 .producer_epoch = 3,
                 .timeout_ms = 60000,
                 .status = txn_status::prepare_commit,
                 .partitions = {{"a", 0}, {"a", 3}, {"b", 1}},
                 .start_ms = 10,
                 .update_ms = 20};
  std::vector<uint8_t> key = encode_txn_key(m.id);
  EXPECT_EQ(decode_txn_key(key), m.id);
  std::vector<uint8_t> value = encode_txn_value(m);
  EXPECT_EQ(decode_txn_value(m.id, value), m);
  value.resize(value.size() - 3);
  EXPECT_FALSE(decode_txn_value(m.id, value)) << "a cut record";
  std::vector<uint8_t> bad_status = encode_txn_value(m);
  bad_status[2 + 8 + 2 + 4] = 9;
  EXPECT_FALSE(decode_txn_value(m.id, bad_status));
}

}  // namespace
}  // namespace rill::transaction
