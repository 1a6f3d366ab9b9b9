#include "dataplane/bypass/bypass_endpoint.h"

#include <array>

#include "base/assert.h"
#include "base/log.h"
#include "platform/runtime/clock.h"
#include "platform/runtime/uring_op.h"

namespace rill::bypass {
namespace {

void add(stream_counters& to, const stream_counters& c) {
  to.bytes_sent += c.bytes_sent;
  to.bytes_retransmitted += c.bytes_retransmitted;
  to.segments_sent += c.segments_sent;
  to.segments_retransmitted += c.segments_retransmitted;
  to.fast_retransmits += c.fast_retransmits;
  to.timeouts += c.timeouts;
  to.bytes_received += c.bytes_received;
  to.duplicate_bytes += c.duplicate_bytes;
  to.out_of_order_segments += c.out_of_order_segments;
}

}  // namespace

bypass_endpoint::bypass_endpoint(runtime::shard& s, endpoint_options options,
                                 std::unique_ptr<frame_link> link)
    : shard_(&s),
      options_(std::move(options)),
      link_(std::move(link)),
      connection_ids_(static_cast<uint32_t>(runtime::monotonic_ns()) ^
                      static_cast<uint32_t>(options_.self) * 2654435761u) {
  RILL_ASSERT(options_.self >= 0, "an endpoint needs its broker id");
  RILL_ASSERT(link_ != nullptr);
  options_.stream.segment_bytes_max =
      std::min(options_.stream.segment_bytes_max, link_->segment_bytes_max());
}

bypass_endpoint::~bypass_endpoint() {
  RILL_ASSERT(poller_id_ == 0, "endpoint destroyed while polling; await stop()");
}

void bypass_endpoint::start(acceptor on_accept) {
  RILL_ASSERT(poller_id_ == 0, "endpoint started twice");
  on_accept_ = std::move(on_accept);
  runtime::poller p = options_.polling;
  p.poll = [this] { return poll(); };
  poller_id_ = shard_->add_poller(std::move(p));
}

std::shared_ptr<connection_slot> bypass_endpoint::make_slot(reliable_stream s) {
  auto slot = std::make_shared<connection_slot>(std::move(s));
  slot->send_buffer_bytes_max = options_.send_buffer_bytes_max;
  const reliable_stream::identity& id = slot->stream.id();
  slots_[{id.peer, id.connection, slot->stream.opener()}] = slot;
  return slot;
}

task<std::unique_ptr<bypass_connection>> bypass_endpoint::connect(int32_t peer) {
  if (poller_id_ == 0 || !link_->reaches(peer)) co_return nullptr;
  uint32_t id = 0;
  do {
    id = connection_ids_();
  } while (id == 0 || slots_.count({peer, id, true}) > 0);
  std::shared_ptr<connection_slot> slot = make_slot(reliable_stream::open(
      options_.stream, {.local = options_.self, .peer = peer, .connection = id},
      runtime::monotonic_ns()));
  ++counters_.connections_opened;
  while (slot->stream.state() == stream_state::connecting) co_await slot->changed.wait(*shard_);
  if (slot->stream.state() != stream_state::established) {
    // Once per outage: a fetcher retries every few hundred milliseconds.
    if (unreachable_.insert(peer).second) {
      RILL_WARN("bypass", "cannot connect to broker %d: %s (retrying; logged again once it works)",
                peer, close_reason_name(slot->stream.reason()));
    }
    slot->attached = false;
    co_return nullptr;
  }
  if (unreachable_.erase(peer) > 0) RILL_INFO("bypass", "connected to broker %d again", peer);
  co_return std::make_unique<bypass_connection>(*shard_, std::move(slot));
}

int32_t bypass_endpoint::on_frame(std::span<const uint8_t> segment) {
  segment_header h;
  std::span<const uint8_t> payload;
  segment_errc e = decode_segment(segment, &h, &payload);
  if (e != segment_errc::ok) {
    if (counters_.segments_invalid++ % 1000 == 0) {
      RILL_WARN("bypass", "dropped an invalid segment of %zu bytes: %s (%llu so far)",
                segment.size(), segment_errc_name(e),
                static_cast<unsigned long long>(counters_.segments_invalid));
    }
    return -1;
  }
  if (h.target != options_.self) return h.source;  // a shared segment: not ours
  bool opened_by_us = (h.flags & k_flag_from_opener) == 0;
  auto it = slots_.find({h.source, h.connection, opened_by_us});
  if (it == slots_.end()) {
    if (h.kind == segment_kind::syn && !opened_by_us) {
      accept(h);
    } else if (h.kind != segment_kind::reset) {
      ++counters_.segments_unknown;
      send_reset(h);
    }
    return h.source;
  }
  connection_slot& slot = *it->second;
  slot.stream.on_segment(h, payload, now_ns_);
  touched_.push_back(&slot);
  return h.source;
}

void bypass_endpoint::accept(const segment_header& syn) {
  if (slots_.size() >= options_.connections_max || !on_accept_) {
    ++counters_.connections_refused;
    RILL_WARN("bypass", "refusing a connection from broker %d: %zu connections open", syn.source,
              slots_.size());
    send_reset(syn);
    return;
  }
  std::shared_ptr<connection_slot> slot = make_slot(reliable_stream::accept(
      options_.stream, {.local = options_.self, .peer = syn.source, .connection = syn.connection},
      syn, now_ns_));
  ++counters_.connections_accepted;
  on_accept_(std::make_unique<bypass_connection>(*shard_, std::move(slot)));
}

void bypass_endpoint::send_reset(const segment_header& to) {
  segment_header r;
  r.kind = segment_kind::reset;
  r.source = options_.self;
  r.target = to.source;
  r.connection = to.connection;
  r.seq = to.ack;
  // The reply travels the other way: it is from the opener when `to` was not.
  r.flags = (to.flags & k_flag_from_opener) != 0 ? 0 : k_flag_from_opener;
  std::array<uint8_t, k_segment_header_bytes> header{};
  encode_segment_header(r, {}, header.data());
  (void)link_->send(to.source, header, {});
}

bool bypass_endpoint::transmit(connection_slot& slot, uint64_t now_ns) {
  reliable_stream& s = slot.stream;
  if (s.next_deadline_ns() > now_ns) return false;
  stream_state before = s.state();
  output_.clear();
  s.collect_output(now_ns, output_);
  std::array<uint8_t, k_segment_header_bytes> header{};
  std::vector<std::span<const uint8_t>> parts;
  for (outgoing_segment& seg : output_) {
    parts.clear();
    for (const payload_slice& p : seg.payload) parts.push_back(p.bytes);
    encode_segment_header(seg.header, parts, header.data());
    (void)link_->send(seg.header.target, header, seg.payload);
  }
  if (s.state() != before) slot.changed.notify_all();
  return !output_.empty();
}

void bypass_endpoint::retire(connection_slot& slot) {
  add(counters_.streams, slot.stream.counters());
}

bool bypass_endpoint::poll() {
  now_ns_ = runtime::monotonic_ns();
  touched_.clear();
  unsigned received = link_->receive(*this, options_.receive_burst_max);
  // Waiters see input and acknowledgements before output is collected, so
  // that window updates from their reads go out in this same pass.
  for (connection_slot* slot : touched_) slot->changed.notify_all();
  bool sent = false;
  for (auto it = slots_.begin(); it != slots_.end();) {
    connection_slot& slot = *it->second;
    sent = transmit(slot, now_ns_) || sent;
    if (!slot.attached && slot.stream.state() == stream_state::closed &&
        slot.stream.next_deadline_ns() == UINT64_MAX) {
      retire(slot);
      it = slots_.erase(it);
    } else {
      ++it;
    }
  }
  bool backlogged = link_->flush();
  return received > 0 || sent || backlogged;
}

task<void> bypass_endpoint::stop() {
  if (poller_id_ == 0) co_return;
  for (auto& [key, slot] : slots_) {
    slot->stream.abort();
    slot->changed.notify_all();
  }
  // Let the woken coroutines run, then send the RESETs.
  co_await runtime::sleep_for(*shard_, runtime::k_ns_per_ms);
  (void)poll();
  stop_now();
}

void bypass_endpoint::stop_now() {
  if (poller_id_ == 0) return;
  for (auto& [key, slot] : slots_) {
    slot->stream.abort();
    slot->changed.notify_all();
  }
  shard_->remove_poller(poller_id_);
  poller_id_ = 0;
}

endpoint_counters bypass_endpoint::counters() const {
  endpoint_counters c = counters_;
  for (const auto& [key, slot] : slots_) add(c.streams, slot->stream.counters());
  return c;
}

}  // namespace rill::bypass
