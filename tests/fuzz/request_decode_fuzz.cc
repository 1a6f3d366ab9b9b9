// libFuzzer target: every Kafka request decoder on arbitrary bytes. The
// decoders must reject bad input by failing the reader, never by crashing,
// reading out of bounds or allocating what a lying length asks for.
// Build: cmake -DRILL_FUZZ=ON (clang); run: request_decode_fuzz -max_total_time=30
#include <cstddef>
#include <cstdint>

#include "dataplane/kafka/messages/admin.h"
#include "dataplane/kafka/messages/api_versions.h"
#include "dataplane/kafka/messages/cluster.h"
#include "dataplane/kafka/messages/configs.h"
#include "dataplane/kafka/messages/fetch.h"
#include "dataplane/kafka/messages/group.h"
#include "dataplane/kafka/messages/list_offsets.h"
#include "dataplane/kafka/messages/metadata.h"
#include "dataplane/kafka/messages/produce.h"
#include "dataplane/kafka/messages/reassignment.h"
#include "dataplane/kafka/messages/transaction.h"
#include "dataplane/kafka/request_header.h"

using namespace rill;
using namespace rill::kafka;

namespace {

template <typename M>
void decode_as(wire_reader& in, const request_header& h) {
  M r;
  (void)decode_message(in, h, &r);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  wire_reader in({data, size});
  request_header h;
  if (decode_request_header(in, &h) != header_errc::ok) return 0;
  switch (static_cast<api_key>(h.key)) {
    case api_key::produce:
      decode_as<produce_request>(in, h);
      break;
    case api_key::fetch:
      decode_as<fetch_request>(in, h);
      break;
    case api_key::list_offsets:
      decode_as<list_offsets_request>(in, h);
      break;
    case api_key::metadata:
      decode_as<metadata_request>(in, h);
      break;
    case api_key::api_versions:
      decode_as<api_versions_request>(in, h);
      break;
    case api_key::create_topics:
      decode_as<create_topics_request>(in, h);
      break;
    case api_key::delete_topics:
      decode_as<delete_topics_request>(in, h);
      break;
    case api_key::describe_configs:
      decode_as<describe_configs_request>(in, h);
      break;
    case api_key::init_producer_id:
      decode_as<init_producer_id_request>(in, h);
      break;
    case api_key::find_coordinator:
      decode_as<find_coordinator_request>(in, h);
      break;
    case api_key::join_group:
      decode_as<join_group_request>(in, h);
      break;
    case api_key::sync_group:
      decode_as<sync_group_request>(in, h);
      break;
    case api_key::heartbeat:
      decode_as<heartbeat_request>(in, h);
      break;
    case api_key::leave_group:
      decode_as<leave_group_request>(in, h);
      break;
    case api_key::offset_commit:
      decode_as<offset_commit_request>(in, h);
      break;
    case api_key::offset_fetch:
      decode_as<offset_fetch_request>(in, h);
      break;
    case api_key::list_groups:
      decode_as<list_groups_request>(in, h);
      break;
    case api_key::describe_groups:
      decode_as<describe_groups_request>(in, h);
      break;
    case api_key::delete_groups:
      decode_as<delete_groups_request>(in, h);
      break;
    case api_key::offset_delete:
      decode_as<offset_delete_request>(in, h);
      break;
    case api_key::alter_configs:
      decode_as<alter_configs_request>(in, h);
      break;
    case api_key::elect_leaders:
      decode_as<elect_leaders_request>(in, h);
      break;
    case api_key::offset_for_leader_epoch:
      decode_as<offset_for_leader_epoch_request>(in, h);
      break;
    case api_key::describe_cluster:
      decode_as<describe_cluster_request>(in, h);
      break;
    case api_key::create_partitions:
      decode_as<create_partitions_request>(in, h);
      break;
    case api_key::delete_records:
      decode_as<delete_records_request>(in, h);
      break;
    case api_key::describe_log_dirs:
      decode_as<describe_log_dirs_request>(in, h);
      break;
    case api_key::describe_producers:
      decode_as<describe_producers_request>(in, h);
      break;
    case api_key::alter_partition_reassignments:
      decode_as<alter_partition_reassignments_request>(in, h);
      break;
    case api_key::list_partition_reassignments:
      decode_as<list_partition_reassignments_request>(in, h);
      break;
    case api_key::incremental_alter_configs:
      decode_as<incremental_alter_configs_request>(in, h);
      break;
    case api_key::add_partitions_to_txn:
      decode_as<add_partitions_to_txn_request>(in, h);
      break;
    case api_key::add_offsets_to_txn:
      decode_as<add_offsets_to_txn_request>(in, h);
      break;
    case api_key::end_txn:
      decode_as<end_txn_request>(in, h);
      break;
    case api_key::write_txn_markers:
      decode_as<write_txn_markers_request>(in, h);
      break;
    case api_key::txn_offset_commit:
      decode_as<txn_offset_commit_request>(in, h);
      break;
  }
  // The replica side decodes Fetch responses from other brokers too.
  wire_reader again({data, size});
  int32_t correlation = 0;
  fetched_response response;
  (void)decode_fetch_response(again, &correlation, &response);
  // And a transaction coordinator WriteTxnMarkers responses.
  wire_reader markers({data, size});
  write_txn_markers_response written;
  (void)decode_write_txn_markers_response(markers, &correlation, &written);
  return 0;
}
