#include "storage/control_batch.h"

#include <gtest/gtest.h>

#include "base/byte_order.h"
#include "storage/aborted_txn_index.h"
#include "storage/batch_builder.h"
#include "storage/record_batch.h"

namespace rill::storage {
namespace {

TEST(control_batch, a_marker_is_a_transactional_control_batch_kafka_can_read) {
  std::vector<uint8_t> b =
      build_marker_batch(77, 3, {.type = marker_type::commit, .coordinator_epoch = 9}, 1000);
  batch_view v(b.data());
  EXPECT_TRUE(v.is_control());
  EXPECT_TRUE(v.is_transactional());
  EXPECT_EQ(v.producer_id(), 77);
  EXPECT_EQ(v.producer_epoch(), 3);
  EXPECT_EQ(v.base_sequence(), -1);
  EXPECT_EQ(v.attributes(), 0x30) << "transactional (0x10) and control (0x20), no compression";
  std::optional<txn_marker> m = read_marker(b);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->type, marker_type::commit);
  EXPECT_EQ(m->coordinator_epoch, 9);
  // The record's key, as the guide lays it out: version 0, type 1.
  const uint8_t key[] = {0, 0, 0, 1};
  EXPECT_NE(std::search(b.begin(), b.end(), std::begin(key), std::end(key)), b.end());
  EXPECT_FALSE(read_marker(build_batch({}, {record_spec{.value = "x"}})))
      << "a data batch has no marker";
}

TEST(aborted_txn_index, answers_overlaps_and_prunes_by_either_end) {
  aborted_txn_index idx;
  EXPECT_TRUE(idx.add({1, 10, 20}));
  EXPECT_TRUE(idx.add({2, 5, 30}));
  EXPECT_FALSE(idx.add({1, 10, 20})) << "known already";
  EXPECT_EQ(idx.overlapping(0, 5).size(), 0u);
  EXPECT_EQ(idx.overlapping(0, 6).size(), 1u);
  EXPECT_EQ(idx.overlapping(21, 100).size(), 1u);
  EXPECT_TRUE(idx.contains_batch(1, 12));
  EXPECT_FALSE(idx.contains_batch(1, 21));
  EXPECT_FALSE(idx.contains_batch(3, 12));
  std::vector<aborted_txn> back;
  ASSERT_TRUE(aborted_txn_index::parse(aborted_txn_index::serialize(idx.entries()), &back));
  EXPECT_EQ(back, idx.entries());
  EXPECT_FALSE(aborted_txn_index::parse("0\n1\n1 9 3\n", &back)) << "first past last";
  EXPECT_TRUE(idx.truncate_from_end(25));
  EXPECT_EQ(idx.entries().size(), 1u);
  EXPECT_TRUE(idx.truncate_from_start(21));
  EXPECT_TRUE(idx.entries().empty());
}

}  // namespace
}  // namespace rill::storage
