// reliable_stream: one connection of the user-space replication transport,
// as a pure state machine: no I/O, no clock of its own, no threads. Segments
// come in through on_segment(); what must go out is taken with
// collect_output(); time is the caller's now_ns. That keeps it testable
// against a simulated lossy, reordering, duplicating link
// (reliable_stream_test.cc) and lets one endpoint drive many of them from a
// shard's poll loop.
//
// It gives TCP's contract over an unreliable datagram link: an ordered byte
// stream in each direction, sliding-window flow control (the receiver
// advertises what it can take), cumulative acknowledgements with a gap flag
// that triggers a fast retransmission, recovery of several
// holes (each acknowledgement names the hole, which is resent whole at once),
// retransmission on an RFC 6298 timer with backoff, keepalive probes
// and peer-death detection, and FIN/RESET teardown.
//
// Sent bytes are held by reference (payload_slice owners) until the peer
// acknowledges them, so a leader's hot-tail buffers go out without a copy and
// stay alive for retransmission. Received bytes are copied once, out of the
// link's frame into the in-order input buffer (or into the out-of-order map).
//
// Invariants: snd_una <= snd_nxt <= send_end (+1 once a FIN is queued);
// rcv_nxt only grows; nothing outside [snd_una, snd_nxt) is ever in flight.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <span>
#include <vector>

#include "dataplane/bypass/segment.h"

namespace rill::bypass {

struct stream_options {
  uint32_t segment_bytes_max = 1448;             // payload per segment (MTU 1500)
  uint32_t send_window_bytes_max = 4u << 20;     // bytes in flight, unacknowledged
  uint32_t receive_buffer_bytes_max = 8u << 20;  // the most we advertise
  uint64_t rto_initial_ns = 20'000'000;
  uint64_t rto_min_ns = 20'000'000;  // a busy 2-core VM stalls a shard for ms
  uint64_t rto_max_ns = 400'000'000;
  uint64_t connect_timeout_ns = 1'000'000'000;
  uint64_t idle_probe_ns = 250'000'000;   // quiet this long: ask for an acknowledgement
  uint64_t peer_dead_ns = 2'000'000'000;  // quiet this long: the peer is gone
};

enum class stream_state : uint8_t { connecting, established, closed };
enum class close_reason : uint8_t {
  none,
  finished,
  reset_by_peer,
  aborted,
  peer_dead,
  connect_timeout
};
const char* close_reason_name(close_reason r);

// Bytes owned elsewhere, kept alive by owner while any copy is referenced.
struct payload_slice {
  std::shared_ptr<const void> owner;
  std::span<const uint8_t> bytes;
};

struct outgoing_segment {
  segment_header header;
  std::vector<payload_slice> payload;  // sub-slices of the send queue
};

struct stream_counters {
  uint64_t bytes_sent = 0;  // first transmissions
  uint64_t bytes_retransmitted = 0;
  uint64_t segments_sent = 0;
  uint64_t segments_retransmitted = 0;
  uint64_t fast_retransmits = 0;
  uint64_t timeouts = 0;
  uint64_t bytes_received = 0;   // delivered in order
  uint64_t duplicate_bytes = 0;  // received again, dropped
  uint64_t out_of_order_segments = 0;
};

class reliable_stream {
 public:
  struct identity {
    int32_t local = -1;
    int32_t peer = -1;
    uint32_t connection = 0;
  };

  // The opener's side: a SYN goes out on the next collect_output().
  static reliable_stream open(stream_options options, identity id, uint64_t now_ns);
  // The acceptor's side, from the peer's SYN: established at once.
  static reliable_stream accept(stream_options options, identity id, const segment_header& syn,
                                uint64_t now_ns);

  stream_state state() const { return state_; }
  close_reason reason() const { return reason_; }
  const identity& id() const { return id_; }
  bool opener() const { return opener_; }
  const stream_counters& counters() const { return counters_; }

  // Sending. write() queues bytes by reference; finish() queues a FIN after
  // them; abort() closes at once and sends a RESET.
  void write(payload_slice slice);
  void finish();
  void abort();
  // Bytes written and not yet acknowledged.
  uint64_t unacknowledged_bytes() const { return send_end_ - snd_una_data(); }
  bool finish_acknowledged() const { return fin_queued_ && snd_una_ > send_end_; }

  // Receiving.
  std::span<const uint8_t> readable() const;
  void consume(size_t bytes);
  // Every byte up to the peer's FIN has arrived (and the FIN itself).
  bool peer_finished() const { return peer_fin_received_; }

  void on_segment(const segment_header& h, std::span<const uint8_t> payload, uint64_t now_ns);
  // Appends what must be transmitted at now_ns (new data within the window,
  // retransmissions, acknowledgements, probes, SYN/FIN/RESET).
  void collect_output(uint64_t now_ns, std::vector<outgoing_segment>& out);
  // When collect_output() next has something to do without new input.
  uint64_t next_deadline_ns() const;
  // Whether output is waiting that does not depend on a timer.
  bool output_pending() const;

 private:
  reliable_stream(stream_options options, identity id, uint64_t now_ns);
  uint64_t snd_una_data() const { return snd_una_ < send_end_ ? snd_una_ : send_end_; }
  uint32_t advertised_window() const;
  segment_header header(segment_kind kind) const;
  void on_acknowledgement(const segment_header& h, uint64_t now_ns);
  void on_payload(const segment_header& h, std::span<const uint8_t> payload);
  void drain_out_of_order();
  void release_acknowledged();
  void update_rtt(uint64_t sample_ns);
  // Builds the segment carrying [seq, seq + bytes) of the send queue.
  outgoing_segment data_segment(uint64_t seq, uint32_t bytes) const;
  // Sends the segment at seq (data up to end, or the FIN).
  void send_at(uint64_t seq, uint64_t end, std::vector<outgoing_segment>& out, bool retransmission);
  void close(close_reason reason);

  stream_options options_;
  identity id_;
  stream_state state_ = stream_state::connecting;
  close_reason reason_ = close_reason::none;
  stream_counters counters_;
  bool opener_ = false;

  // Send side. queue_ holds [queue_start_, send_end_) by reference.
  std::deque<payload_slice> queue_;
  uint64_t queue_start_ = 0;
  uint64_t send_end_ = 0;
  uint64_t snd_una_ = 0;
  uint64_t snd_nxt_ = 0;
  uint64_t peer_edge_ = 0;  // peer's ack + window: the right edge we may send to
  bool fin_queued_ = false;
  bool in_recovery_ = false;
  uint64_t recover_ = 0;
  std::vector<std::pair<uint64_t, uint64_t>> retransmit_now_;  // ranges to resend next output
  uint64_t resent_to_ = 0;  // holes up to here were resent in this recovery
  uint64_t rto_ns_;
  uint64_t srtt_ns_ = 0;
  uint64_t rttvar_ns_ = 0;
  uint64_t rto_deadline_ns_ = UINT64_MAX;
  uint64_t rtt_seq_ = UINT64_MAX;  // a timed segment ends here, or none
  uint64_t rtt_started_ns_ = 0;

  // Receive side. input_[input_start_..] is readable; rcv_nxt_ is next.
  std::vector<uint8_t> input_;
  size_t input_start_ = 0;
  uint64_t rcv_nxt_ = 0;
  std::map<uint64_t, std::vector<uint8_t>> out_of_order_;
  size_t out_of_order_bytes_ = 0;
  bool peer_fin_known_ = false;
  uint64_t peer_fin_seq_ = 0;
  bool peer_fin_received_ = false;
  uint32_t last_window_sent_ = 0;

  // Pending control output.
  bool syn_due_ = false;
  bool syn_ack_due_ = false;
  bool ack_due_ = false;
  bool reset_due_ = false;
  uint64_t opened_ns_;
  uint64_t last_heard_ns_;
  uint64_t last_probe_ns_ = 0;
};

}  // namespace rill::bypass
