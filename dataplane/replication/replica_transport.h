// replica_transport: the seam all inter-broker replication traffic goes
// through. A follower's fetcher hands it a request frame and gets the
// response frame back. Implementations: stream_replica_transport (over any
// net::byte_stream: io_uring TCP, or the DPDK bypass transport),
// remote_shard_transport (runs another transport on the shard that owns the
// DPDK port), faulty_replica_transport (wraps another one and drops, delays
// or partitions, from a printed seed, for tests). One instance per fetcher,
// on its shard.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <vector>

#include "base/task.h"
#include "platform/net/byte_stream.h"
#include "platform/net/provided_buffer_ring.h"
#include "platform/net/socket_address.h"
#include "platform/runtime/shard.h"

namespace rill::replication {

class replica_transport {
 public:
  virtual ~replica_transport() = default;
  // Sends request (a whole frame) and returns the response body after its
  // size prefix, or nullopt when the exchange failed (the caller retries).
  virtual task<std::optional<std::vector<uint8_t>>> round_trip(std::vector<uint8_t> request,
                                                               uint64_t deadline_ns) = 0;
  // Cuts any in-flight exchange short (stop()).
  virtual void interrupt() = 0;
  virtual task<void> close() = 0;
};

// Opens a stream to the leader; nullptr when it cannot.
using stream_connector = std::function<task<std::unique_ptr<net::byte_stream>>()>;

// Size-prefixed frames over a byte stream, reconnecting through the
// connector whenever the stream is gone.
class stream_replica_transport final : public replica_transport {
 public:
  stream_replica_transport(stream_connector connect, size_t response_bytes_max);
  task<std::optional<std::vector<uint8_t>>> round_trip(std::vector<uint8_t> request,
                                                       uint64_t deadline_ns) override;
  void interrupt() override;
  task<void> close() override;

 private:
  task<bool> connect();
  stream_connector connect_;
  size_t response_bytes_max_;
  std::unique_ptr<net::byte_stream> stream_;
};

// io_uring TCP to the leader's Kafka port.
std::unique_ptr<replica_transport> make_tcp_replica_transport(runtime::shard& s,
                                                              net::socket_address leader,
                                                              net::provided_buffer_ring* buffers,
                                                              size_t response_bytes_max);

// Runs inner on shard `home` (which owns the network it uses) for a
// fetcher on another shard: each call crosses the shard mailboxes. inner
// is touched only on home.
class remote_shard_transport final : public replica_transport {
 public:
  remote_shard_transport(runtime::shard& here, runtime::shard_id home,
                         std::unique_ptr<replica_transport> inner);
  task<std::optional<std::vector<uint8_t>>> round_trip(std::vector<uint8_t> request,
                                                       uint64_t deadline_ns) override;
  void interrupt() override;
  task<void> close() override;

 private:
  runtime::shard_id home_;
  std::shared_ptr<replica_transport> inner_;
};

struct transport_faults {
  uint64_t seed = 0;
  uint32_t drop_per_mille = 0;  // exchanges that fail as if the link dropped them
  uint32_t delay_ms_max = 0;    // extra delay before each exchange, uniform in [0, max]
};

class faulty_replica_transport final : public replica_transport {
 public:
  faulty_replica_transport(runtime::shard& s, std::unique_ptr<replica_transport> inner,
                           transport_faults faults);
  task<std::optional<std::vector<uint8_t>>> round_trip(std::vector<uint8_t> request,
                                                       uint64_t deadline_ns) override;
  void interrupt() override { inner_->interrupt(); }
  task<void> close() override { return inner_->close(); }
  // While partitioned, every exchange fails.
  void set_partitioned(bool partitioned) { partitioned_ = partitioned; }
  uint64_t dropped() const { return dropped_; }

 private:
  runtime::shard* shard_;
  std::unique_ptr<replica_transport> inner_;
  transport_faults faults_;
  std::mt19937_64 rng_;
  bool partitioned_ = false;
  uint64_t dropped_ = 0;
};

}  // namespace rill::replication
