// Errors of the partition data path, mapped to Kafka codes at the edge.
#pragma once

#include <cstdint>

namespace rill::partition {

enum class partition_errc : uint8_t {
  ok = 0,
  unknown_partition,
  not_leader,
  offset_out_of_range,
  corrupt_batch,
  batch_too_large,
  not_enough_replicas,
  not_enough_replicas_after_append,
  request_timed_out,
  storage_error,
  out_of_order_sequence,
  fenced_producer_epoch,
  fenced_leader_epoch,
  unknown_leader_epoch,
  invalid_request,
  invalid_record,    // a record the topic cannot take (no key on a compacted topic)
  policy_violation,  // DeleteRecords on a topic whose cleanup.policy has no delete
};

const char* partition_errc_name(partition_errc e);

}  // namespace rill::partition
