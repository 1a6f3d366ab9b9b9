#include "dataplane/bypass/reliable_stream.h"

#include <algorithm>
#include <cstring>

#include "base/assert.h"

namespace rill::bypass {
namespace {
constexpr uint64_t k_rtt_granularity_ns = 200'000;
constexpr size_t k_input_compact_bytes = 1u << 20;
}  // namespace

const char* close_reason_name(close_reason r) {
  switch (r) {
    case close_reason::none:
      return "open";
    case close_reason::finished:
      return "finished";
    case close_reason::reset_by_peer:
      return "reset by the peer";
    case close_reason::aborted:
      return "aborted";
    case close_reason::peer_dead:
      return "peer silent too long";
    case close_reason::connect_timeout:
      return "connect timed out";
  }
  return "?";
}

reliable_stream::reliable_stream(stream_options options, identity id, uint64_t now_ns)
    : options_(options),
      id_(id),
      rto_ns_(options.rto_initial_ns),
      opened_ns_(now_ns),
      last_heard_ns_(now_ns) {
  RILL_ASSERT(options.segment_bytes_max > 0 && options.segment_bytes_max <= UINT16_MAX,
              "segment of %u bytes", options.segment_bytes_max);
  RILL_ASSERT(options.rto_min_ns > 0 && options.rto_min_ns <= options.rto_max_ns);
}

reliable_stream reliable_stream::open(stream_options options, identity id, uint64_t now_ns) {
  reliable_stream s(options, id, now_ns);
  s.state_ = stream_state::connecting;
  s.opener_ = true;
  s.syn_due_ = true;
  s.rto_deadline_ns_ = now_ns + s.rto_ns_;
  return s;
}

reliable_stream reliable_stream::accept(stream_options options, identity id,
                                        const segment_header& syn, uint64_t now_ns) {
  RILL_ASSERT(syn.kind == segment_kind::syn, "accepting from a %s", segment_kind_name(syn.kind));
  reliable_stream s(options, id, now_ns);
  s.state_ = stream_state::established;
  s.peer_edge_ = syn.window;
  s.syn_ack_due_ = true;
  return s;
}

void reliable_stream::write(payload_slice slice) {
  RILL_ASSERT(!fin_queued_, "write after finish()");
  if (slice.bytes.empty() || state_ == stream_state::closed) return;
  send_end_ += slice.bytes.size();
  queue_.push_back(std::move(slice));
}

void reliable_stream::finish() {
  fin_queued_ = true;
}

void reliable_stream::abort() {
  if (state_ == stream_state::closed) return;
  reset_due_ = true;
  close(close_reason::aborted);
}

void reliable_stream::close(close_reason reason) {
  state_ = stream_state::closed;
  reason_ = reason;
  queue_.clear();  // release the owners: nothing will be retransmitted
  retransmit_now_.clear();
  rto_deadline_ns_ = UINT64_MAX;
}

std::span<const uint8_t> reliable_stream::readable() const {
  return std::span<const uint8_t>(input_).subspan(input_start_);
}

void reliable_stream::consume(size_t bytes) {
  RILL_ASSERT(bytes <= input_.size() - input_start_, "consuming %zu of %zu readable bytes", bytes,
              input_.size() - input_start_);
  input_start_ += bytes;
  if (input_start_ == input_.size()) {
    input_.clear();
    input_start_ = 0;
  } else if (input_start_ >= k_input_compact_bytes && input_start_ * 2 >= input_.size()) {
    input_.erase(input_.begin(), input_.begin() + static_cast<std::ptrdiff_t>(input_start_));
    input_start_ = 0;
  }
  // Tell a sender that may be waiting on our window once it opened a lot.
  uint32_t window = advertised_window();
  if (window >= last_window_sent_ + options_.receive_buffer_bytes_max / 4) ack_due_ = true;
}

uint32_t reliable_stream::advertised_window() const {
  size_t buffered = input_.size() - input_start_ + out_of_order_bytes_;
  if (buffered >= options_.receive_buffer_bytes_max) return 0;
  return static_cast<uint32_t>(options_.receive_buffer_bytes_max - buffered);
}

segment_header reliable_stream::header(segment_kind kind) const {
  segment_header h;
  h.kind = kind;
  h.source = id_.local;
  h.target = id_.peer;
  h.connection = id_.connection;
  h.seq = snd_nxt_;
  h.ack = rcv_nxt_;
  h.window = advertised_window();
  h.flags = static_cast<uint8_t>((out_of_order_.empty() ? 0 : k_flag_gap) |
                                 (opener_ ? k_flag_from_opener : 0));
  h.hole_end = out_of_order_.empty() ? 0 : out_of_order_.begin()->first;
  return h;
}

void reliable_stream::on_segment(const segment_header& h, std::span<const uint8_t> payload,
                                 uint64_t now_ns) {
  RILL_ASSERT(h.payload_bytes == payload.size(), "header says %u bytes, payload has %zu",
              h.payload_bytes, payload.size());
  if (state_ == stream_state::closed) {
    // Our last acknowledgements were lost: the peer resends; repeat them.
    if (reason_ == close_reason::finished && h.kind != segment_kind::reset) ack_due_ = true;
    return;
  }
  last_heard_ns_ = now_ns;
  switch (h.kind) {
    case segment_kind::reset:
      // A peer that already forgot a finished connection answers our last
      // FIN with a RESET; everything was delivered both ways by then.
      close(peer_fin_received_ && fin_queued_ && snd_una_ >= send_end_
                ? close_reason::finished
                : close_reason::reset_by_peer);
      return;
    case segment_kind::syn:
      // Our SYN-ACK was lost: the opener asks again.
      if (state_ == stream_state::established) syn_ack_due_ = true;
      return;
    case segment_kind::syn_ack:
      if (state_ == stream_state::connecting) {
        state_ = stream_state::established;
        peer_edge_ = h.ack + h.window;
        rto_ns_ = options_.rto_initial_ns;
        rto_deadline_ns_ = UINT64_MAX;
        update_rtt(now_ns - opened_ns_);
      }
      return;
    case segment_kind::data:
    case segment_kind::fin:
    case segment_kind::probe:
      break;
  }
  // The acceptor sends nothing but SYN-ACK before our first data, so data
  // from it means the SYN-ACK was lost on the way.
  if (state_ == stream_state::connecting) state_ = stream_state::established;
  on_acknowledgement(h, now_ns);
  if (h.kind == segment_kind::probe) ack_due_ = true;
  if (!payload.empty()) on_payload(h, payload);
  if (h.kind == segment_kind::fin) {
    peer_fin_known_ = true;
    peer_fin_seq_ = h.seq;
    ack_due_ = true;
  }
  if (peer_fin_known_ && !peer_fin_received_ && rcv_nxt_ == peer_fin_seq_) {
    peer_fin_received_ = true;
    rcv_nxt_ = peer_fin_seq_ + 1;
  }
  if (peer_fin_received_ && finish_acknowledged()) close(close_reason::finished);
}

void reliable_stream::on_acknowledgement(const segment_header& h, uint64_t now_ns) {
  if (h.ack > snd_nxt_ || h.ack < snd_una_) return;  // acknowledges nothing we sent, or stale
  peer_edge_ = h.ack + h.window;
  if (h.ack > snd_una_) {
    if (rtt_seq_ != UINT64_MAX && h.ack >= rtt_seq_) {
      update_rtt(now_ns - rtt_started_ns_);
      rtt_seq_ = UINT64_MAX;
    }
    snd_una_ = h.ack;
    release_acknowledged();
    if (in_recovery_ && snd_una_ >= recover_) {
      in_recovery_ = false;
      resent_to_ = 0;
    }
    rto_deadline_ns_ = snd_una_ < snd_nxt_ ? now_ns + rto_ns_ : UINT64_MAX;
  }
  // The receiver names its hole: resend what of it was not resent already
  // (a resent segment that is lost again waits for the timer).
  if ((h.flags & k_flag_gap) != 0 && h.hole_end > h.ack && snd_una_ < snd_nxt_) {
    uint64_t from = std::max(h.ack, resent_to_);
    uint64_t to = std::min({h.hole_end, snd_nxt_, send_end_});
    if (from < to) {
      if (!in_recovery_) {
        in_recovery_ = true;
        recover_ = snd_nxt_;
        ++counters_.fast_retransmits;
      }
      retransmit_now_.emplace_back(from, to);
      resent_to_ = to;
      rtt_seq_ = UINT64_MAX;  // Karn: no sample across a retransmission
    }
  }
}

void reliable_stream::on_payload(const segment_header& h, std::span<const uint8_t> payload) {
  uint64_t seq = h.seq;
  uint64_t end = seq + payload.size();
  ack_due_ = true;
  if (end <= rcv_nxt_) {
    counters_.duplicate_bytes += payload.size();
    return;
  }
  if (seq > rcv_nxt_) {
    if (end > rcv_nxt_ + options_.receive_buffer_bytes_max) return;  // beyond any window
    auto [it, inserted] = out_of_order_.try_emplace(seq);
    if (!inserted && it->second.size() >= payload.size()) {
      counters_.duplicate_bytes += payload.size();
      return;
    }
    out_of_order_bytes_ += payload.size() - it->second.size();
    it->second.assign(payload.begin(), payload.end());
    ++counters_.out_of_order_segments;
    return;
  }
  size_t skip = static_cast<size_t>(rcv_nxt_ - seq);
  counters_.duplicate_bytes += skip;
  input_.insert(input_.end(), payload.begin() + static_cast<std::ptrdiff_t>(skip), payload.end());
  counters_.bytes_received += payload.size() - skip;
  rcv_nxt_ = end;
  drain_out_of_order();
}

void reliable_stream::drain_out_of_order() {
  while (!out_of_order_.empty() && out_of_order_.begin()->first <= rcv_nxt_) {
    auto node = out_of_order_.extract(out_of_order_.begin());
    const std::vector<uint8_t>& bytes = node.mapped();
    out_of_order_bytes_ -= bytes.size();
    uint64_t end = node.key() + bytes.size();
    if (end <= rcv_nxt_) {
      counters_.duplicate_bytes += bytes.size();
      continue;
    }
    size_t skip = static_cast<size_t>(rcv_nxt_ - node.key());
    input_.insert(input_.end(), bytes.begin() + static_cast<std::ptrdiff_t>(skip), bytes.end());
    counters_.bytes_received += bytes.size() - skip;
    rcv_nxt_ = end;
  }
}

void reliable_stream::release_acknowledged() {
  uint64_t acked = snd_una_data();
  while (!queue_.empty() && queue_start_ + queue_.front().bytes.size() <= acked) {
    queue_start_ += queue_.front().bytes.size();
    queue_.pop_front();
  }
}

void reliable_stream::update_rtt(uint64_t sample_ns) {
  if (srtt_ns_ == 0) {
    srtt_ns_ = sample_ns;
    rttvar_ns_ = sample_ns / 2;
  } else {
    uint64_t delta = srtt_ns_ > sample_ns ? srtt_ns_ - sample_ns : sample_ns - srtt_ns_;
    rttvar_ns_ = (3 * rttvar_ns_ + delta) / 4;
    srtt_ns_ = (7 * srtt_ns_ + sample_ns) / 8;
  }
  rto_ns_ = std::clamp(srtt_ns_ + std::max(k_rtt_granularity_ns, 4 * rttvar_ns_),
                       options_.rto_min_ns, options_.rto_max_ns);
}

outgoing_segment reliable_stream::data_segment(uint64_t seq, uint32_t bytes) const {
  RILL_ASSERT(seq >= queue_start_ && seq + bytes <= send_end_,
              "segment [%llu, +%u) outside [%llu, %llu)", static_cast<unsigned long long>(seq),
              bytes, static_cast<unsigned long long>(queue_start_),
              static_cast<unsigned long long>(send_end_));
  outgoing_segment out;
  out.header = header(segment_kind::data);
  out.header.seq = seq;
  out.header.payload_bytes = static_cast<uint16_t>(bytes);
  uint64_t at = queue_start_;
  for (const payload_slice& s : queue_) {
    uint64_t end = at + s.bytes.size();
    if (end > seq) {
      size_t from = seq > at ? static_cast<size_t>(seq - at) : 0;
      size_t take = std::min<size_t>(s.bytes.size() - from, bytes);
      out.payload.push_back({s.owner, s.bytes.subspan(from, take)});
      bytes -= static_cast<uint32_t>(take);
      seq += take;
      if (bytes == 0) break;
    }
    at = end;
  }
  RILL_ASSERT(bytes == 0, "send queue shorter than its bookkeeping");
  return out;
}

void reliable_stream::send_at(uint64_t seq, uint64_t end, std::vector<outgoing_segment>& out,
                              bool retransmission) {
  if (fin_queued_ && seq == send_end_) {
    out.push_back({header(segment_kind::fin), {}});
    out.back().header.seq = send_end_;
  } else {
    RILL_ASSERT(seq < end && end <= send_end_, "sending [%llu, %llu)",
                static_cast<unsigned long long>(seq), static_cast<unsigned long long>(end));
    auto bytes = static_cast<uint32_t>(std::min<uint64_t>(options_.segment_bytes_max, end - seq));
    out.push_back(data_segment(seq, bytes));
  }
  const segment_header& h = out.back().header;
  last_window_sent_ = h.window;
  ack_due_ = false;
  ++counters_.segments_sent;
  if (retransmission) {
    ++counters_.segments_retransmitted;
    counters_.bytes_retransmitted += h.payload_bytes;
  } else {
    counters_.bytes_sent += h.payload_bytes;
  }
}

uint64_t reliable_stream::next_deadline_ns() const {
  if (reset_due_ || output_pending()) return 0;
  if (state_ == stream_state::closed) return UINT64_MAX;
  uint64_t deadline = rto_deadline_ns_;
  if (state_ == stream_state::established) {
    deadline =
        std::min(deadline, std::max(last_heard_ns_, last_probe_ns_) + options_.idle_probe_ns);
    deadline = std::min(deadline, last_heard_ns_ + options_.peer_dead_ns);
  }
  return deadline;
}

bool reliable_stream::output_pending() const {
  if (reset_due_ || ack_due_) return true;
  if (state_ != stream_state::established) return syn_due_;
  if (syn_ack_due_ || !retransmit_now_.empty()) return true;
  uint64_t limit = std::min(peer_edge_, snd_una_ + options_.send_window_bytes_max);
  if (snd_nxt_ < send_end_ && snd_nxt_ < limit) return true;
  return fin_queued_ && snd_nxt_ == send_end_;
}

void reliable_stream::collect_output(uint64_t now_ns, std::vector<outgoing_segment>& out) {
  if (reset_due_) {
    out.push_back({header(segment_kind::reset), {}});
    reset_due_ = false;
  }
  if (state_ == stream_state::closed) {
    if (ack_due_) out.push_back({header(segment_kind::data), {}});  // the peer's FIN
    ack_due_ = false;
    return;
  }
  if (state_ == stream_state::connecting) {
    if (now_ns >= rto_deadline_ns_) {
      if (now_ns - opened_ns_ >= options_.connect_timeout_ns) {
        close(close_reason::connect_timeout);
        return;
      }
      syn_due_ = true;
      rto_ns_ = std::min(rto_ns_ * 2, options_.rto_max_ns);
      rto_deadline_ns_ = now_ns + rto_ns_;
    }
    if (syn_due_) {
      out.push_back({header(segment_kind::syn), {}});
      syn_due_ = false;
    }
    return;
  }
  if (now_ns - last_heard_ns_ >= options_.peer_dead_ns) {
    close(close_reason::peer_dead);
    return;
  }
  if (syn_ack_due_) {
    out.push_back({header(segment_kind::syn_ack), {}});
    syn_ack_due_ = false;
  }
  if (now_ns >= rto_deadline_ns_) {
    if (snd_una_ < snd_nxt_) {
      ++counters_.timeouts;
      in_recovery_ = true;
      recover_ = snd_nxt_;
      rtt_seq_ = UINT64_MAX;
      rto_ns_ = std::min(rto_ns_ * 2, options_.rto_max_ns);
      uint64_t end = std::min<uint64_t>(snd_una_ + options_.segment_bytes_max, snd_nxt_);
      retransmit_now_.emplace_back(snd_una_, std::max(end, snd_una_ + 1));
      resent_to_ = end;
    } else if (snd_nxt_ < send_end_) {
      out.push_back({header(segment_kind::probe), {}});  // the peer's window is shut
      rto_ns_ = std::min(rto_ns_ * 2, options_.rto_max_ns);
    }
    rto_deadline_ns_ = snd_una_ < snd_nxt_ || snd_nxt_ < send_end_ ? now_ns + rto_ns_ : UINT64_MAX;
  }
  for (auto [from, to] : retransmit_now_) {
    from = std::max(from, snd_una_);
    while (from < to && from < snd_nxt_) {
      if (from >= send_end_) {  // the FIN
        send_at(send_end_, send_end_, out, true);
        break;
      }
      send_at(from, std::min(to, send_end_), out, true);
      from += out.back().header.payload_bytes;
    }
  }
  retransmit_now_.clear();
  uint64_t limit = std::min(peer_edge_, snd_una_ + options_.send_window_bytes_max);
  while (snd_nxt_ < send_end_ && snd_nxt_ < limit) {
    send_at(snd_nxt_, std::min(limit, send_end_), out, false);
    snd_nxt_ += out.back().header.payload_bytes;
    if (rtt_seq_ == UINT64_MAX) {
      rtt_seq_ = snd_nxt_;
      rtt_started_ns_ = now_ns;
    }
  }
  if (fin_queued_ && snd_nxt_ == send_end_) {
    send_at(send_end_, send_end_, out, false);
    snd_nxt_ = send_end_ + 1;
  }
  if (rto_deadline_ns_ == UINT64_MAX && (snd_una_ < snd_nxt_ || snd_nxt_ < send_end_)) {
    rto_deadline_ns_ = now_ns + rto_ns_;
  }
  uint64_t quiet_since = std::max(last_heard_ns_, last_probe_ns_);
  if (now_ns - quiet_since >= options_.idle_probe_ns) {
    out.push_back({header(segment_kind::probe), {}});
    last_probe_ns_ = now_ns;
  }
  if (ack_due_) {
    out.push_back({header(segment_kind::data), {}});
    last_window_sent_ = out.back().header.window;
    ack_due_ = false;
  }
}

}  // namespace rill::bypass
