// txn_records: the records of __transaction_state, in Kafka's layout
// (TransactionLogKey/TransactionLogValue v0): key [version int16 = 0]
// [transactional id string]; value [version int16 = 0][producer id int64]
// [producer epoch int16][timeout ms int32][status int8][partitions: array
// of (topic string, array of int32)][last update ms int64][start ms
// int64]. A null value (tombstone) removes the id.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "dataplane/transaction/txn_metadata.h"

namespace rill::transaction {

std::vector<uint8_t> encode_txn_key(const std::string& transactional_id);
std::vector<uint8_t> encode_txn_value(const txn_metadata& m);
std::optional<std::string> decode_txn_key(std::span<const uint8_t> bytes);
// id comes from the key.
std::optional<txn_metadata> decode_txn_value(const std::string& id, std::span<const uint8_t> bytes);

}  // namespace rill::transaction
