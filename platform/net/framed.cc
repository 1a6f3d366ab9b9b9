#include "platform/net/framed.h"

#include "base/byte_order.h"

namespace rill::net {

task<frame_view> await_frame(byte_stream& s, frame_limits limits, uint64_t deadline_ns) {
  auto fill = [&s, deadline_ns](size_t n) {
    return deadline_ns == 0 ? s.fill(n) : s.fill_until(n, deadline_ns);
  };
  frame_view out;
  if (!co_await fill(4)) co_return out;
  out.size = static_cast<int32_t>(load_be32(s.input().data()));
  if (out.size < static_cast<int64_t>(limits.min_bytes) ||
      out.size > static_cast<int64_t>(limits.max_bytes)) {
    out.error = frame_errc::out_of_bounds;
    co_return out;
  }
  if (!co_await fill(frame_total(out.size))) co_return out;
  out.error = frame_errc::ok;
  co_return out;
}

task<frame_read> read_frame(byte_stream& s, frame_limits limits, uint64_t deadline_ns) {
  frame_view f = co_await await_frame(s, limits, deadline_ns);
  frame_read out{f.error, f.size, {}};
  if (f.error != frame_errc::ok) co_return out;
  std::span<const uint8_t> bytes = s.input().subspan(4, static_cast<size_t>(f.size));
  out.body.assign(bytes.begin(), bytes.end());
  s.consume(frame_total(f.size));
  co_return out;
}

task<std::optional<std::vector<uint8_t>>> round_trip(byte_stream& s,
                                                     std::span<const uint8_t> request,
                                                     frame_limits limits, uint64_t deadline_ns) {
  if (co_await s.send_all(request) != 0) co_return std::nullopt;
  frame_read reply = co_await read_frame(s, limits, deadline_ns);
  if (reply.error != frame_errc::ok) co_return std::nullopt;
  co_return std::move(reply.body);
}

}  // namespace rill::net
