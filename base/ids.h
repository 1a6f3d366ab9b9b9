// The domain integers of the replication model, each its own type, so that
// a swapped argument (an epoch where an offset goes, a partition where a
// broker goes) does not compile. Interfaces that take several of them - the
// controller's election and ISR rules, a replica's fetch and truncation,
// the leader's ISR tracking - take these; wire structs and the metadata
// model keep Kafka's plain integers, and the edges convert explicitly.
//
//   ids::broker{3}, ids::partition{0}, ids::leader_epoch{7}, ids::offset{1200}
#pragma once

#include <cstdint>

#include "base/strong_int.h"

namespace rill::ids {

using broker = strong_int<struct broker_tag, int32_t>;
using partition = strong_int<struct partition_tag, int32_t>;
using leader_epoch = strong_int<struct leader_epoch_tag, int32_t>;
using partition_epoch = strong_int<struct partition_epoch_tag, int32_t>;
using offset = strong_int<struct offset_tag, int64_t>;

// Kafka's "none" for each: no leader, no epoch known, no offset.
constexpr broker k_no_broker{-1};
constexpr leader_epoch k_no_leader_epoch{-1};
constexpr offset k_no_offset{-1};

}  // namespace rill::ids
