// frame_link: where an endpoint's segments leave for a peer broker and
// where segments from peers arrive: a DPDK port (dpdk_link), or an
// in-memory pair in tests. Frames may be lost, duplicated or reordered;
// reliable_stream makes up for it. Used by one endpoint, on its shard.
#pragma once

#include <cstdint>
#include <span>

#include "dataplane/bypass/reliable_stream.h"

namespace rill::bypass {

// Receives each frame's segment bytes (no Ethernet header), valid only
// during the call. Returns the broker id the segment came from, or -1 when
// it was not a valid segment (the link may learn addresses from it).
class frame_sink {
 public:
  virtual int32_t on_frame(std::span<const uint8_t> segment) = 0;

 protected:
  ~frame_sink() = default;
};

struct link_counters {
  uint64_t frames_sent = 0;
  uint64_t frames_received = 0;
  uint64_t frames_dropped_on_send = 0;           // the device queue was full
  uint64_t payload_bytes_sent_by_reference = 0;  // the device reads the caller's buffer
  uint64_t payload_bytes_copied_on_send = 0;     // copied into a frame buffer first
  uint64_t bytes_copied_on_receive = 0;          // frames gathered from chained buffers
};

class frame_link {
 public:
  virtual ~frame_link() = default;
  // Takes up to burst_max received frames to sink. Returns how many.
  virtual unsigned receive(frame_sink& sink, unsigned burst_max) = 0;
  // Queues one segment (header bytes, then payload by reference; the link
  // keeps the owners alive until the device is done). False when the peer
  // has no link or the queue is full: the segment is dropped.
  virtual bool send(int32_t peer, std::span<const uint8_t> header,
                    std::span<const payload_slice> payload) = 0;
  // Hands queued frames to the device. True when some still wait (the
  // device queue was full), so the caller keeps polling.
  virtual bool flush() = 0;
  virtual bool reaches(int32_t peer) const = 0;
  virtual const link_counters& counters() const = 0;
  // The largest segment payload a frame carries.
  virtual uint32_t segment_bytes_max() const = 0;
};

}  // namespace rill::bypass
