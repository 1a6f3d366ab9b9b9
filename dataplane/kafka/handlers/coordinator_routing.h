// Where a coordinator's requests go. A consumer group's requests go to
// partition hash(group) mod N of __consumer_offsets, a transactional id's
// to partition hash(id) mod N of __transaction_state: whether this broker
// leads that partition, and the shard that owns it. Also creates these
// internal topics on first use, as Kafka does on the first
// FindCoordinator.
#pragma once

#include <string>

#include "base/task.h"
#include "dataplane/kafka/handlers/handler.h"
#include "platform/runtime/shard.h"

namespace rill::kafka {

// The two kinds of coordinator (FindCoordinator's key_type).
enum class coordinator_kind : int8_t { group = 0, transaction = 1 };

const char* coordinator_topic(coordinator_kind kind);

struct coordinator_route {
  error_code error = error_code::none;  // COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR, ...
  int32_t partition = -1;
  runtime::shard_id owner{0};
};

// Waits a little while this broker is named coordinator but its lease is
// not yet valid, then answers COORDINATOR_LOAD_IN_PROGRESS.
task<coordinator_route> route_coordinator(request_context& ctx, coordinator_kind kind,
                                          const std::string& key);
inline task<coordinator_route> route_group(request_context& ctx, const std::string& group_id) {
  return route_coordinator(ctx, coordinator_kind::group, group_id);
}

// True once the kind's internal topic exists (created here when missing).
task<bool> ensure_coordinator_topic(request_context& ctx, coordinator_kind kind);

}  // namespace rill::kafka
