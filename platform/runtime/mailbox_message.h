// mailbox_message: one unit of cross-shard work travelling through the
// bounded SPSC mailboxes.
//
// A request runs on its target shard (run_on_target) and the same object
// comes back through the reverse mailbox as a reply (complete_on_source).
// The sender owns the message (normally it lives in the awaiting coroutine's
// frame) and must keep it alive until complete_on_source has run.
#pragma once

#include "platform/runtime/shard.h"

namespace rill::runtime {

struct mailbox_message {
  virtual void run_on_target(shard& target) = 0;
  virtual void complete_on_source(shard& source) = 0;

  shard_id source{0};
  shard_id target{0};
  bool is_reply = false;

 protected:
  ~mailbox_message() = default;
};

}  // namespace rill::runtime
