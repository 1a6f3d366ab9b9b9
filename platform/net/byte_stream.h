// byte_stream: an ordered, reliable byte stream as the Kafka protocol layer
// sees it. tcp_connection (io_uring TCP) is one; bypass_connection (the
// user-space replication transport on DPDK) is the other, so a follower's
// Fetch is served by the same code whichever network it came over.
//
// Used on one shard only; close() must be awaited before destruction.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "base/task.h"

namespace rill::net {

class byte_stream {
 public:
  virtual ~byte_stream() = default;

  // Waits until at least min_bytes are buffered; false when the stream
  // ended or failed first (or, for fill_until, at deadline_ns).
  virtual task<bool> fill(size_t min_bytes) = 0;
  virtual task<bool> fill_until(size_t min_bytes, uint64_t deadline_ns) = 0;
  virtual std::span<const uint8_t> input() const = 0;
  virtual void consume(size_t bytes) = 0;

  // Sends all of data (the caller's buffer need live only until this
  // returns). Returns 0 or -errno.
  virtual task<int> send_all(std::span<const uint8_t> data) = 0;
  // Sends data by reference; release() runs once nothing needs it any more
  // (possibly after this returns). Returns 0 or -errno.
  virtual task<int> send_zero_copy(std::span<const uint8_t> data,
                                   std::function<void()> release) = 0;
  // True when send_zero_copy() is the cheaper way to send any large buffer
  // (no per-send notification cost, as with TCP's SEND_ZC).
  virtual bool prefers_sending_by_reference() const { return false; }

  // Stops receiving: waiting fills return false.
  virtual void shutdown_read() = 0;
  virtual task<void> close() = 0;
  virtual bool peer_closed() const = 0;
  // Who is on the other side, for logs.
  virtual std::string peer_name() const = 0;
};

}  // namespace rill::net
