// Where a group's requests go: the group's __consumer_offsets partition,
// whether this broker leads it, and the shard that owns it. Also creates
// the offsets topic on first use, as Kafka does on the first
// FindCoordinator.
#pragma once

#include <string>

#include "base/task.h"
#include "dataplane/kafka/handlers/handler.h"
#include "platform/runtime/shard.h"

namespace rill::kafka {

struct group_route {
  error_code error = error_code::none;  // COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR, ...
  int32_t partition = -1;
  runtime::shard_id owner{0};
};

// Waits a little while this broker is named coordinator but its lease is
// not yet valid, then answers COORDINATOR_LOAD_IN_PROGRESS.
task<group_route> route_group(request_context& ctx, const std::string& group_id);

// True once the offsets topic exists (created here when missing).
task<bool> ensure_offsets_topic(request_context& ctx);

}  // namespace rill::kafka
