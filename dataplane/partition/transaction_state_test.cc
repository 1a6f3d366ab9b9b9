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

}  // namespace
}  // namespace rill::partition
