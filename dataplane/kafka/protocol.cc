#include "dataplane/kafka/protocol.h"

namespace rill::kafka {

const api_range* find_api(int16_t key) {
  for (const api_range& r : k_supported_apis) {
    if (static_cast<int16_t>(r.key) == key) return &r;
  }
  return nullptr;
}

const char* api_name(int16_t key) {
  switch (static_cast<api_key>(key)) {
    case api_key::produce:
      return "Produce";
    case api_key::fetch:
      return "Fetch";
    case api_key::list_offsets:
      return "ListOffsets";
    case api_key::metadata:
      return "Metadata";
    case api_key::find_coordinator:
      return "FindCoordinator";
    case api_key::api_versions:
      return "ApiVersions";
    case api_key::create_topics:
      return "CreateTopics";
    case api_key::delete_topics:
      return "DeleteTopics";
    case api_key::init_producer_id:
      return "InitProducerId";
    case api_key::offset_for_leader_epoch:
      return "OffsetForLeaderEpoch";
    case api_key::add_partitions_to_txn:
      return "AddPartitionsToTxn";
    case api_key::add_offsets_to_txn:
      return "AddOffsetsToTxn";
    case api_key::end_txn:
      return "EndTxn";
    case api_key::write_txn_markers:
      return "WriteTxnMarkers";
    case api_key::txn_offset_commit:
      return "TxnOffsetCommit";
    case api_key::describe_configs:
      return "DescribeConfigs";
    case api_key::alter_configs:
      return "AlterConfigs";
    case api_key::elect_leaders:
      return "ElectLeaders";
    case api_key::offset_commit:
      return "OffsetCommit";
    case api_key::offset_fetch:
      return "OffsetFetch";
    case api_key::join_group:
      return "JoinGroup";
    case api_key::heartbeat:
      return "Heartbeat";
    case api_key::leave_group:
      return "LeaveGroup";
    case api_key::sync_group:
      return "SyncGroup";
    case api_key::describe_groups:
      return "DescribeGroups";
    case api_key::list_groups:
      return "ListGroups";
    case api_key::delete_groups:
      return "DeleteGroups";
    case api_key::offset_delete:
      return "OffsetDelete";
    case api_key::describe_cluster:
      return "DescribeCluster";
    case api_key::create_partitions:
      return "CreatePartitions";
    case api_key::delete_records:
      return "DeleteRecords";
    case api_key::describe_producers:
      return "DescribeProducers";
    case api_key::alter_partition_reassignments:
      return "AlterPartitionReassignments";
    case api_key::list_partition_reassignments:
      return "ListPartitionReassignments";
    case api_key::describe_log_dirs:
      return "DescribeLogDirs";
    case api_key::incremental_alter_configs:
      return "IncrementalAlterConfigs";
  }
  return "Unknown";
}

}  // namespace rill::kafka
