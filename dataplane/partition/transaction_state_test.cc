#include "dataplane/partition/transaction_state.h"

#include <gtest/gtest.h>

namespace rill::partition {
namespace {

txn_batch data(int64_t producer, int64_t base, int64_t last) {
  return {.producer_id = producer, .base_offset = base, .last_offset = last, .transactional = true};
}

txn_batch marker(int64_t producer, int64_t at, storage::marker_type type) {
  return {.producer_id = producer,
          .base_offset = at,
          .last_offset = at,
          .transactional = true,
          .marker = storage::txn_marker{.type = type, .coordinator_epoch = 3}};
}

TEST(transaction_state, the_stable_offset_stops_at_the_oldest_undecided_transaction) {
  transaction_state s;
  EXPECT_EQ(s.last_stable_offset(10), 10) << "no transaction: the high watermark";
  EXPECT_FALSE(s.observe(data(1, 10, 14)));
  EXPECT_FALSE(s.observe(data(2, 15, 15)));
  EXPECT_FALSE(s.observe(data(1, 16, 20))) << "a second batch of an open transaction";
  EXPECT_EQ(s.open_transaction(1), 10);
  EXPECT_EQ(s.last_stable_offset(21), 10);
  EXPECT_FALSE(s.observe(marker(1, 21, storage::marker_type::commit)));
  EXPECT_EQ(s.last_stable_offset(21), 10) << "decided, but the marker is not committed yet";
  EXPECT_EQ(s.last_stable_offset(22), 15) << "producer 2 is still open";
  auto aborted = s.observe(marker(2, 22, storage::marker_type::abort));
  ASSERT_TRUE(aborted);
  EXPECT_EQ(*aborted, (storage::aborted_txn{2, 15, 22}));
  EXPECT_EQ(s.last_stable_offset(23), 23);
  EXPECT_EQ(s.open_count(), 0u);
}

TEST(transaction_state, non_transactional_batches_and_stray_markers_change_nothing) {
  transaction_state s;
  EXPECT_FALSE(s.observe({.producer_id = 4, .base_offset = 0, .last_offset = 3}));
  EXPECT_FALSE(s.observe(marker(4, 4, storage::marker_type::abort)))
      << "an abort for a transaction with no data in this partition";
  EXPECT_EQ(s.last_stable_offset(5), 5);
  EXPECT_FALSE(s.observe(data(5, 5, 5)));
  s.clear();
  EXPECT_EQ(s.last_stable_offset(6), 6);
}

TEST(transaction_state, a_checkpoint_says_where_a_restart_must_read_from) {
  transaction_state s;
  EXPECT_EQ(transaction_state::restore_from(s.checkpoint(100)), INT64_MAX)
      << "nothing open: the recent window is enough";
  EXPECT_FALSE(s.changed_since_checkpoint());
  EXPECT_FALSE(s.observe(data(1, 40, 44)));
  EXPECT_FALSE(s.observe(data(2, 10, 12)));
  EXPECT_TRUE(s.changed_since_checkpoint());
  std::string text = s.checkpoint(50);
  s.mark_checkpointed();
  EXPECT_EQ(transaction_state::restore_from(text), 10) << "producer 2's first batch";
  EXPECT_FALSE(s.observe(data(1, 51, 51))) << "an open transaction's next batch";
  EXPECT_FALSE(s.changed_since_checkpoint());
  (void)s.observe(marker(2, 52, storage::marker_type::commit));
  EXPECT_TRUE(s.changed_since_checkpoint());
  EXPECT_EQ(transaction_state::restore_from(s.checkpoint(53)), 40);
  EXPECT_FALSE(transaction_state::restore_from("0\n50\n2\n1 40\n")) << "an entry missing: damaged";
  EXPECT_FALSE(transaction_state::restore_from("7\n50\n0\n")) << "an unknown version";
}

}  // namespace
}  // namespace rill::partition
