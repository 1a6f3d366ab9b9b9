#include "dataplane/bypass/bypass_connection.h"

#include <cerrno>
#include <string>

#include "base/assert.h"
#include "platform/runtime/clock.h"

namespace rill::bypass {
namespace {
// How long close() waits for the peer to acknowledge the FIN.
constexpr uint64_t k_finish_wait_ns = 500 * runtime::k_ns_per_ms;
}  // namespace

bypass_connection::bypass_connection(runtime::shard& s, std::shared_ptr<connection_slot> slot)
    : shard_(&s), slot_(std::move(slot)) {
  RILL_ASSERT(slot_ != nullptr && slot_->attached, "a connection needs an attached slot");
}

bypass_connection::~bypass_connection() {
  if (slot_->attached) {
    // Dropped without close(): abort so the peer learns at once.
    slot_->stream.abort();
    slot_->attached = false;
  }
}

bool bypass_connection::readable_ended() const {
  const reliable_stream& s = slot_->stream;
  return slot_->read_shut || s.peer_finished() || s.state() == stream_state::closed;
}

task<bool> bypass_connection::fill(size_t min_bytes) {
  return fill_until(min_bytes, UINT64_MAX);
}

task<bool> bypass_connection::fill_until(size_t min_bytes, uint64_t deadline_ns) {
  for (;;) {
    if (slot_->read_shut) co_return false;
    if (slot_->stream.readable().size() >= min_bytes) co_return true;
    if (readable_ended()) co_return false;
    auto woke = co_await slot_->changed.wait_until(*shard_, deadline_ns);
    if (woke == runtime::wake_reason::timed_out) {
      co_return !slot_->read_shut && slot_->stream.readable().size() >= min_bytes;
    }
  }
}

std::span<const uint8_t> bypass_connection::input() const {
  return slot_->stream.readable();
}

void bypass_connection::consume(size_t bytes) {
  slot_->stream.consume(bytes);
}

task<int> bypass_connection::send_all(std::span<const uint8_t> data) {
  // The caller's buffer dies when this returns, but retransmission may need
  // the bytes until the peer acknowledges them: keep a copy.
  auto copy = std::make_shared<std::vector<uint8_t>>(data.begin(), data.end());
  std::span<const uint8_t> bytes(*copy);
  slot_->bytes_copied_on_send += bytes.size();
  co_return co_await send({std::move(copy), bytes});
}

task<int> bypass_connection::send_zero_copy(std::span<const uint8_t> data,
                                            std::function<void()> release) {
  // The owner's deleter runs when the last frame referencing data is gone.
  std::shared_ptr<const void> owner(nullptr, [release = std::move(release)](const void*) {
    if (release) release();
  });
  slot_->bytes_sent_by_reference += data.size();
  co_return co_await send({std::move(owner), data});
}

task<int> bypass_connection::send(payload_slice slice) {
  reliable_stream& s = slot_->stream;
  if (s.state() == stream_state::closed) co_return -EPIPE;
  s.write(std::move(slice));
  while (s.state() != stream_state::closed &&
         s.unacknowledged_bytes() > slot_->send_buffer_bytes_max) {
    co_await slot_->changed.wait(*shard_);
  }
  co_return s.state() == stream_state::closed&& s.reason() != close_reason::finished ? -EPIPE : 0;
}

void bypass_connection::shutdown_read() {
  slot_->read_shut = true;
  slot_->changed.notify_all();
}

task<void> bypass_connection::close() {
  if (!slot_->attached) co_return;
  reliable_stream& s = slot_->stream;
  if (s.state() == stream_state::established) {
    s.finish();
    uint64_t deadline = runtime::monotonic_ns() + k_finish_wait_ns;
    while (s.state() != stream_state::closed && !s.finish_acknowledged() &&
           runtime::monotonic_ns() < deadline) {
      (void)co_await slot_->changed.wait_until(*shard_, deadline);
    }
    if (!s.finish_acknowledged()) s.abort();
  } else {
    s.abort();
  }
  slot_->attached = false;
  slot_->changed.notify_all();
}

bool bypass_connection::peer_closed() const {
  return readable_ended();
}

std::string bypass_connection::peer_name() const {
  const reliable_stream::identity& id = slot_->stream.id();
  return "broker " + std::to_string(id.peer) + " over the bypass link (connection " +
         std::to_string(id.connection) + ")";
}

}  // namespace rill::bypass
