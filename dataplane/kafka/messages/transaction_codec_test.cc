#include <gtest/gtest.h>

#include "dataplane/kafka/messages/codec_testing.h"
#include "dataplane/kafka/messages/transaction.h"

namespace rill::kafka {
namespace {

TEST(transaction_codec, every_request_and_response_round_trips_at_every_version) {
  round_trips_at_every_version(add_partitions_to_txn_request{.transactional_id = "tx",
                                                             .producer_id = 42,
                                                             .producer_epoch = 3,
                                                             .topics = {{"a", {0, 2}}, {"b", {1}}}},
                               api_key::add_partitions_to_txn);
  round_trips_at_every_version(
      add_partitions_to_txn_response{.results = {{"a", {{0, 0}, {2, 51}}}}},
      api_key::add_partitions_to_txn);
  round_trips_at_every_version(
      add_offsets_to_txn_request{
          .transactional_id = "tx", .producer_id = 42, .producer_epoch = 3, .group_id = "g"},
      api_key::add_offsets_to_txn);
  round_trips_at_every_version(txn_error_response{.error = 51}, api_key::add_offsets_to_txn);
  round_trips_at_every_version(
      end_txn_request{
          .transactional_id = "tx", .producer_id = 42, .producer_epoch = 3, .committed = true},
      api_key::end_txn);
  round_trips_at_every_version(write_txn_markers_request{.markers = {{.producer_id = 42,
                                                                      .producer_epoch = 4,
                                                                      .committed = false,
                                                                      .topics = {{"a", {0, 1}}},
                                                                      .coordinator_epoch = 7}}},
                               api_key::write_txn_markers);
  round_trips_at_every_version(
      write_txn_markers_response{.markers = {{.producer_id = 42, .topics = {{"a", {{0, 0}}}}}}},
      api_key::write_txn_markers);
  round_trips_at_every_version(
      txn_offset_commit_request{
          .transactional_id = "tx",
          .group_id = "g",
          .producer_id = 42,
          .producer_epoch = 3,
          .generation_id = 5,
          .member_id = "m",
          .group_instance_id = "i",
          .topics = {{"a", {{.index = 0, .committed_offset = 17, .committed_leader_epoch = 2}}}}},
      api_key::txn_offset_commit);
}

TEST(transaction_codec, layouts_match_the_protocol_guide) {
  // EndTxn v0: transactional_id (int16 length), producer_id, producer_epoch, committed.
  EXPECT_EQ(
      encode_at(
          end_txn_request{
              .transactional_id = "t", .producer_id = 1, .producer_epoch = 2, .committed = true},
          api_key::end_txn, 0),
      (std::vector<uint8_t>{0, 1, 't', 0, 0, 0, 0, 0, 0, 0, 1, 0, 2, 1}));
  // AddPartitionsToTxn v3 (flexible): compact string, id, epoch, compact
  // array of [compact name, compact array of int32, tags], tags.
  EXPECT_EQ(
      encode_at(add_partitions_to_txn_request{.transactional_id = "t",
                                              .producer_id = 1,
                                              .producer_epoch = 0,
                                              .topics = {{"a", {5}}}},
                api_key::add_partitions_to_txn, 3),
      (std::vector<uint8_t>{2, 't', 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 2, 2, 'a', 2, 0, 0, 0, 5, 0, 0}));
  // WriteTxnMarkers v1 response: [producer_id, [name, [partition, error], tags], tags], tags.
  EXPECT_EQ(
      encode_at(
          write_txn_markers_response{.markers = {{.producer_id = 9, .topics = {{"a", {{1, 0}}}}}}},
          api_key::write_txn_markers, 1),
      (std::vector<uint8_t>{2, 0, 0, 0, 0, 0, 0, 0, 9, 2, 2, 'a',
                            2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0}));
  // TxnOffsetCommit v2 leaves out the v3 member fields.
  std::vector<uint8_t> v2 = encode_at(
      txn_offset_commit_request{.transactional_id = "t", .group_id = "g", .member_id = "mmmm"},
      api_key::txn_offset_commit, 2);
  EXPECT_EQ(v2, (std::vector<uint8_t>{0,    1,    't',  0,    1,    'g',  0xff, 0xff, 0xff, 0xff,
                                      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0,    0,    0,    0}));
}

}  // namespace
}  // namespace rill::kafka
