// Maps the data path's and the control plane's errors to Kafka error codes:
// the one place where internal errors meet the protocol.
#pragma once

#include "control/metadata_service.h"
#include "dataplane/group/group_errc.h"
#include "dataplane/kafka/protocol.h"
#include "dataplane/partition/partition_errc.h"

namespace rill::kafka {

error_code to_kafka(partition::partition_errc e);
error_code to_kafka(control::topic_errc e);
error_code to_kafka(group::group_errc e);
// The same, as the int16 the group messages carry.
inline int16_t code_of(group::group_errc e) {
  return static_cast<int16_t>(to_kafka(e));
}

}  // namespace rill::kafka
