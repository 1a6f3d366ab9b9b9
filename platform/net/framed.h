// Size-prefixed frames on a byte_stream: a 4-byte big-endian length, then
// that many bytes. Kafka's framing, which the controller RPCs and
// replication fetches share; the one reader for all of them.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "base/task.h"
#include "platform/net/byte_stream.h"

namespace rill::net {

// The sizes a reader accepts, length prefix excluded.
struct frame_limits {
  size_t min_bytes = 0;
  size_t max_bytes = 0;
};

enum class frame_errc {
  ok,
  closed,         // the stream ended or failed, or the deadline passed
  out_of_bounds,  // the length prefix is outside the limits
};

struct frame_view {
  frame_errc error = frame_errc::closed;
  int64_t size = 0;  // the length prefix as sent (signed: a peer may send garbage)
};

// Waits until a whole frame is at the front of s.input(): then its bytes are
// s.input().subspan(4, size) until the caller consumes frame_total(size).
// deadline_ns 0 waits without a deadline.
task<frame_view> await_frame(byte_stream& s, frame_limits limits, uint64_t deadline_ns = 0);

constexpr size_t frame_total(int64_t size) {
  return 4 + static_cast<size_t>(size);
}

// One frame taken out of the stream: its bytes when error is ok, else why
// not (with the declared size, for the log, when it was out of bounds).
struct frame_read {
  frame_errc error = frame_errc::closed;
  int64_t size = 0;
  std::vector<uint8_t> body;
};

// Waits for a frame and takes it out of the stream.
task<frame_read> read_frame(byte_stream& s, frame_limits limits, uint64_t deadline_ns = 0);

// Sends request (a whole frame, prefix included) and reads the reply: the
// round trip of a client with one request in flight. nullopt when sending
// fails, the deadline passes or the reply is out of bounds; the stream is
// then unusable and the caller closes it.
task<std::optional<std::vector<uint8_t>>> round_trip(byte_stream& s,
                                                     std::span<const uint8_t> request,
                                                     frame_limits limits, uint64_t deadline_ns);

}  // namespace rill::net
