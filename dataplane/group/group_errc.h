// Errors of the group coordinator, mapped to Kafka codes at the protocol
// edge (dataplane/kafka/handlers/error_mapping.cc).
#pragma once

#include <cstdint>

namespace rill::group {

enum class group_errc : uint8_t {
  ok = 0,
  not_coordinator,               // this shard does not lead the group's partition
  coordinator_load_in_progress,  // it does, and is still reading the partition
  coordinator_not_available,     // the store could not take the write in time
  invalid_group_id,
  unknown_member_id,
  illegal_generation,
  rebalance_in_progress,
  inconsistent_group_protocol,
  member_id_required,
  fenced_instance_id,
  invalid_session_timeout,
  group_max_size_reached,
  non_empty_group,
  group_id_not_found,
  group_subscribed_to_topic,
  offset_metadata_too_large,
  invalid_commit_offset_size,
  unknown_topic_or_partition,
  unstable_offset_commit,  // a transaction's offset commit is not decided yet
  producer_fenced,         // a TxnOffsetCommit from an older producer epoch
  unknown_server_error,
};

const char* group_errc_name(group_errc e);

}  // namespace rill::group
