// bypass_endpoint: one broker's end of the user-space replication transport
// on one frame_link (a DPDK port, or a test link): it opens connections to
// peer brokers, accepts theirs, and drives every connection's
// reliable_stream from the shard's poll loop (a runtime::poller): take a
// receive burst, feed each segment to its stream, collect what the streams
// must send, hand it to the link in one burst.
//
// Thread-per-core: the endpoint, its link and its connections belong to
// one shard (shard 0 in the broker); fetchers on other shards reach it
// through the shard mailboxes (remote_shard_transport). Owned by the broker;
// stop() must be awaited before destruction.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <tuple>

#include "base/task.h"
#include "dataplane/bypass/bypass_connection.h"
#include "dataplane/bypass/frame_link.h"
#include "dataplane/bypass/reliable_stream.h"
#include "platform/runtime/shard.h"

namespace rill::bypass {

struct endpoint_options {
  int32_t self = -1;
  stream_options stream;
  size_t send_buffer_bytes_max = 8u << 20;  // unacknowledged bytes before a writer waits
  uint32_t connections_max = 1024;
  uint32_t receive_burst_max = 32;
  runtime::poller polling;  // spin and idle-sleep limits (its function is the endpoint's)
};

struct endpoint_counters {
  uint64_t connections_opened = 0;
  uint64_t connections_accepted = 0;
  uint64_t connections_refused = 0;  // over connections_max
  uint64_t segments_invalid = 0;     // bad checksum, length or magic
  uint64_t segments_unknown = 0;     // for no connection: answered with a RESET
  stream_counters streams;           // summed over every connection, live and gone
};

class bypass_endpoint final : public frame_sink {
 public:
  using acceptor = std::function<void(std::unique_ptr<bypass_connection>)>;

  bypass_endpoint(runtime::shard& s, endpoint_options options, std::unique_ptr<frame_link> link);
  ~bypass_endpoint();

  // Starts polling; on_accept gets each connection a peer opens.
  void start(acceptor on_accept);
  // Opens a connection to peer; nullptr when it cannot be reached in time.
  task<std::unique_ptr<bypass_connection>> connect(int32_t peer);
  // Aborts every connection, sends the RESETs, stops polling.
  task<void> stop();
  // As stop(), at once, for a shard that ends without a stop: no RESETs.
  void stop_now();

  // One pass of the poll loop; true when it received or sent anything.
  bool poll();
  endpoint_counters counters() const;
  const frame_link& link() const { return *link_; }
  runtime::shard& shard() { return *shard_; }

 private:
  // (peer, connection id, opened by us)
  using slot_key = std::tuple<int32_t, uint32_t, bool>;
  int32_t on_frame(std::span<const uint8_t> segment) override;
  void accept(const segment_header& syn);
  void send_reset(const segment_header& to);
  // Collects and sends the output of one stream; true when it sent anything.
  bool transmit(connection_slot& slot, uint64_t now_ns);
  std::shared_ptr<connection_slot> make_slot(reliable_stream s);
  void retire(connection_slot& slot);

  runtime::shard* shard_;
  endpoint_options options_;
  std::unique_ptr<frame_link> link_;
  acceptor on_accept_;
  std::map<slot_key, std::shared_ptr<connection_slot>> slots_;
  std::vector<connection_slot*> touched_;  // got input during this poll
  std::set<int32_t> unreachable_;          // peers whose last connect failed
  std::vector<outgoing_segment> output_;   // reused
  std::mt19937 connection_ids_;
  endpoint_counters counters_;
  uint32_t poller_id_ = 0;
  uint64_t now_ns_ = 0;
};

}  // namespace rill::bypass
