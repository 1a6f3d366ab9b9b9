// bypass_connection: one connection of the user-space replication transport
// as a net::byte_stream, so the Kafka protocol code serves it exactly as it
// serves a TCP socket. A thin coroutine face on a reliable_stream that the
// endpoint drives from its shard's poll loop.
//
// Lives on the endpoint's shard. Shares its connection_slot with the
// endpoint (shared ownership), so either may go first; close() finishes
// the stream (FIN, bounded wait) and detaches it.
#pragma once

#include <memory>

#include "dataplane/bypass/reliable_stream.h"
#include "platform/net/byte_stream.h"
#include "platform/runtime/shard.h"
#include "platform/runtime/wait_queue.h"

namespace rill::bypass {

// What the endpoint and a connection share.
struct connection_slot {
  explicit connection_slot(reliable_stream s) : stream(std::move(s)) {}
  reliable_stream stream;
  runtime::wait_queue changed;  // input, acknowledgements or the state moved
  bool attached = true;         // a bypass_connection still uses it
  bool read_shut = false;
  size_t send_buffer_bytes_max = 8u << 20;
  uint64_t bytes_copied_on_send = 0;
  uint64_t bytes_sent_by_reference = 0;
};

class bypass_connection final : public net::byte_stream {
 public:
  bypass_connection(runtime::shard& s, std::shared_ptr<connection_slot> slot);
  ~bypass_connection() override;

  task<bool> fill(size_t min_bytes) override;
  task<bool> fill_until(size_t min_bytes, uint64_t deadline_ns) override;
  std::span<const uint8_t> input() const override;
  void consume(size_t bytes) override;
  task<int> send_all(std::span<const uint8_t> data) override;
  task<int> send_zero_copy(std::span<const uint8_t> data, std::function<void()> release) override;
  bool prefers_sending_by_reference() const override { return true; }
  void shutdown_read() override;
  task<void> close() override;
  bool peer_closed() const override;
  std::string peer_name() const override;

 private:
  // Queues slice and waits while more than the send buffer is unacknowledged.
  task<int> send(payload_slice slice);
  bool readable_ended() const;

  runtime::shard* shard_;
  std::shared_ptr<connection_slot> slot_;
};

}  // namespace rill::bypass
