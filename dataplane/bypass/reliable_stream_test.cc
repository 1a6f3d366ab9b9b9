// reliable_stream against a simulated link that loses, duplicates, delays
// and reorders segments, from a printed seed. Every segment crosses the
// link as bytes (encode_segment_header / decode_segment), so the codec and
// its checksum are on the path too. Time is simulated: a run of seconds of
// link time takes milliseconds.
#include "dataplane/bypass/reliable_stream.h"

#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <optional>
#include <queue>
#include <random>

#include "dataplane/bypass/segment.h"

namespace rill::bypass {
namespace {

constexpr uint64_t k_us = 1000;
constexpr uint64_t k_ms = 1000 * k_us;

struct link_faults {
  uint32_t loss_per_mille = 0;
  uint32_t duplicate_per_mille = 0;
  uint64_t delay_ns = 50 * k_us;
  uint64_t jitter_ns = 0;  // uniform extra delay: reorders segments
};

struct in_flight {
  uint64_t due_ns;
  uint64_t order;
  int to;  // 0 = opener, 1 = acceptor
  std::vector<uint8_t> bytes;
  bool operator>(const in_flight& o) const {
    return due_ns != o.due_ns ? due_ns > o.due_ns : order > o.order;
  }
};

// Two endpoints joined by a faulty link; the acceptor's stream is created
// by the first SYN, as an endpoint would.
class simulation {
 public:
  simulation(uint64_t seed, link_faults faults, stream_options options = {})
      : rng_(seed), faults_(faults), options_(options) {
    opener_ = reliable_stream::open(options_, {.local = 1, .peer = 2, .connection = 7}, now_);
  }

  reliable_stream& opener() { return *opener_; }
  std::optional<reliable_stream>& acceptor() { return acceptor_; }
  uint64_t now() const { return now_; }
  uint64_t lost() const { return lost_; }
  bool partitioned = false;

  // Runs until done() holds or the time limit passes; on_step runs after
  // every delivery burst (the application reading and writing).
  bool run_until(const std::function<bool()>& done, uint64_t limit_ns,
                 const std::function<void()>& on_step = {}) {
    uint64_t end = now_ + limit_ns;
    while (now_ < end) {
      transmit();
      if (done()) return true;
      uint64_t next = end;
      if (!wire_.empty()) next = std::min(next, wire_.top().due_ns);
      next = std::min(next, opener_->next_deadline_ns());
      if (acceptor_) next = std::min(next, acceptor_->next_deadline_ns());
      now_ = std::max(now_ + k_us, next);
      deliver();
      if (on_step) on_step();
    }
    return done();
  }

 private:
  void transmit() {
    emit(*opener_, 1);
    if (acceptor_) emit(*acceptor_, 0);
  }

  void emit(reliable_stream& s, int to) {
    std::vector<outgoing_segment> out;
    s.collect_output(now_, out);
    for (outgoing_segment& seg : out) {
      std::vector<std::span<const uint8_t>> parts;
      for (auto& p : seg.payload) parts.push_back(p.bytes);
      std::vector<uint8_t> bytes(k_segment_header_bytes);
      encode_segment_header(seg.header, parts, bytes.data());
      for (auto& p : parts) bytes.insert(bytes.end(), p.begin(), p.end());
      if (partitioned || rng_() % 1000 < faults_.loss_per_mille) {
        ++lost_;
        continue;
      }
      int copies = rng_() % 1000 < faults_.duplicate_per_mille ? 2 : 1;
      for (int i = 0; i < copies; ++i) {
        uint64_t jitter = faults_.jitter_ns > 0 ? rng_() % faults_.jitter_ns : 0;
        wire_.push({now_ + faults_.delay_ns + jitter, order_++, to, bytes});
      }
    }
  }

  void deliver() {
    while (!wire_.empty() && wire_.top().due_ns <= now_) {
      in_flight f = wire_.top();
      wire_.pop();
      segment_header h;
      std::span<const uint8_t> payload;
      ASSERT_EQ(decode_segment(f.bytes, &h, &payload), segment_errc::ok);
      if (f.to == 0) {
        opener_->on_segment(h, payload, now_);
      } else if (acceptor_) {
        acceptor_->on_segment(h, payload, now_);
      } else if (h.kind == segment_kind::syn) {
        acceptor_ =
            reliable_stream::accept(options_, {.local = 2, .peer = 1, .connection = 7}, h, now_);
      }
    }
  }

  std::mt19937_64 rng_;
  link_faults faults_;
  stream_options options_;
  uint64_t now_ = 1;
  uint64_t order_ = 0;
  uint64_t lost_ = 0;
  std::optional<reliable_stream> opener_;
  std::optional<reliable_stream> acceptor_;
  std::priority_queue<in_flight, std::vector<in_flight>, std::greater<>> wire_;
};

std::vector<uint8_t> pattern(size_t n, uint64_t seed) {
  std::vector<uint8_t> v(n);
  std::mt19937_64 r(seed);
  for (auto& b : v) b = static_cast<uint8_t>(r());
  return v;
}

// Writes data in chunks of varied size, by reference to one shared buffer.
void write_all(reliable_stream& s, const std::shared_ptr<std::vector<uint8_t>>& data) {
  size_t at = 0;
  size_t chunk = 10;
  while (at < data->size()) {
    size_t n = std::min(chunk, data->size() - at);
    s.write({data, std::span<const uint8_t>(*data).subspan(at, n)});
    at += n;
    chunk = chunk * 7 % 300'000 + 1;
  }
}

void read_into(reliable_stream& s, std::vector<uint8_t>& got) {
  auto r = s.readable();
  got.insert(got.end(), r.begin(), r.end());
  s.consume(r.size());
}

// Both directions carry megabytes over a link losing 2 %, duplicating 1 %
// and reordering; every byte arrives once, in order; both ends finish.
TEST(reliable_stream, delivers_both_ways_in_order_over_a_lossy_reordering_link) {
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    simulation sim(seed, {.loss_per_mille = 20,
                          .duplicate_per_mille = 10,
                          .delay_ns = 100 * k_us,
                          .jitter_ns = 300 * k_us});
    auto up = std::make_shared<std::vector<uint8_t>>(pattern(3'000'000 + seed * 1001, seed));
    auto down = std::make_shared<std::vector<uint8_t>>(pattern(1'000'000, seed + 100));
    std::weak_ptr<std::vector<uint8_t>> up_alive = up;
    write_all(sim.opener(), up);
    sim.opener().finish();
    up.reset();
    std::vector<uint8_t> got_up;
    std::vector<uint8_t> got_down;
    bool acceptor_wrote = false;
    bool ok = sim.run_until(
        [&] {
          return sim.opener().state() == stream_state::closed && sim.acceptor() &&
                 sim.acceptor()->state() == stream_state::closed;
        },
        120'000 * k_ms,
        [&] {
          read_into(sim.opener(), got_down);
          if (!sim.acceptor()) return;
          read_into(*sim.acceptor(), got_up);
          if (!acceptor_wrote && sim.acceptor()->state() == stream_state::established) {
            write_all(*sim.acceptor(), down);
            sim.acceptor()->finish();
            acceptor_wrote = true;
          }
        });
    ASSERT_TRUE(ok) << "not finished at " << sim.now() / k_ms << " ms";
    EXPECT_EQ(sim.opener().reason(), close_reason::finished);
    EXPECT_EQ(sim.acceptor()->reason(), close_reason::finished);
    EXPECT_EQ(got_up, pattern(3'000'000 + seed * 1001, seed));
    EXPECT_EQ(got_down, *down);
    EXPECT_TRUE(sim.opener().peer_finished());
    // Acknowledged bytes are released: the sender's buffer is gone.
    EXPECT_TRUE(up_alive.expired());
    const stream_counters& c = sim.opener().counters();
    EXPECT_GT(sim.lost(), 0u);
    EXPECT_GT(c.segments_retransmitted, 0u);
    EXPECT_EQ(c.bytes_sent, got_up.size());
  }
}

// The receiver stops reading: the sender stops at the advertised window,
// probes the shut window, and resumes when the reader drains.
TEST(reliable_stream, never_sends_past_the_receivers_window) {
  stream_options options{.receive_buffer_bytes_max = 64 * 1024};
  simulation sim(5, {}, options);
  auto data = std::make_shared<std::vector<uint8_t>>(pattern(1'000'000, 5));
  write_all(sim.opener(), data);
  sim.run_until([] { return false; }, 500 * k_ms);
  ASSERT_TRUE(sim.acceptor());
  EXPECT_EQ(sim.acceptor()->readable().size(), 64u * 1024);
  EXPECT_EQ(sim.opener().unacknowledged_bytes(), data->size() - 64 * 1024);
  std::vector<uint8_t> got;
  ASSERT_TRUE(sim.run_until([&] { return got.size() == data->size(); }, 60'000 * k_ms,
                            [&] { read_into(*sim.acceptor(), got); }));
  EXPECT_EQ(got, *data);
  EXPECT_EQ(sim.opener().state(), stream_state::established);
}

TEST(reliable_stream, a_silent_peer_is_declared_dead) {
  stream_options options;
  simulation sim(9, {}, options);
  ASSERT_TRUE(
      sim.run_until([&] { return sim.opener().state() == stream_state::established; }, 100 * k_ms));
  sim.partitioned = true;
  uint64_t cut_at = sim.now();
  ASSERT_TRUE(
      sim.run_until([&] { return sim.opener().state() == stream_state::closed; }, 10'000 * k_ms));
  EXPECT_EQ(sim.opener().reason(), close_reason::peer_dead);
  EXPECT_GE(sim.now() - cut_at, options.peer_dead_ns);
  EXPECT_LT(sim.now() - cut_at, options.peer_dead_ns + 50 * k_ms);
}

TEST(reliable_stream, an_idle_connection_stays_up_on_probes) {
  simulation sim(10, {});
  sim.run_until([] { return false; }, 10'000 * k_ms);
  EXPECT_EQ(sim.opener().state(), stream_state::established);
  EXPECT_EQ(sim.acceptor()->state(), stream_state::established);
}

TEST(reliable_stream, connect_times_out_without_an_acceptor) {
  stream_options options;
  simulation sim(11, {}, options);
  sim.partitioned = true;
  ASSERT_TRUE(
      sim.run_until([&] { return sim.opener().state() == stream_state::closed; }, 5'000 * k_ms));
  EXPECT_EQ(sim.opener().reason(), close_reason::connect_timeout);
  EXPECT_GE(sim.now(), options.connect_timeout_ns);
}

TEST(reliable_stream, abort_resets_the_peer) {
  simulation sim(12, {});
  auto data = std::make_shared<std::vector<uint8_t>>(pattern(100'000, 12));
  write_all(sim.opener(), data);
  ASSERT_TRUE(sim.run_until([&] { return sim.acceptor().has_value(); }, 100 * k_ms));
  sim.opener().abort();
  ASSERT_TRUE(
      sim.run_until([&] { return sim.acceptor()->state() == stream_state::closed; }, 100 * k_ms));
  EXPECT_EQ(sim.acceptor()->reason(), close_reason::reset_by_peer);
  EXPECT_EQ(sim.opener().reason(), close_reason::aborted);
}

TEST(segment, a_flipped_bit_fails_the_checksum) {
  segment_header h{.kind = segment_kind::data,
                   .source = 1,
                   .target = 2,
                   .connection = 3,
                   .seq = 100,
                   .ack = 5,
                   .window = 1000,
                   .payload_bytes = 4};
  std::vector<uint8_t> payload = {1, 2, 3, 4};
  std::vector<std::span<const uint8_t>> parts = {payload};
  std::vector<uint8_t> frame(k_segment_header_bytes);
  encode_segment_header(h, parts, frame.data());
  frame.insert(frame.end(), payload.begin(), payload.end());
  segment_header got;
  std::span<const uint8_t> got_payload;
  ASSERT_EQ(decode_segment(frame, &got, &got_payload), segment_errc::ok);
  EXPECT_EQ(got.seq, 100u);
  EXPECT_EQ(got.window, 1000u);
  EXPECT_EQ(std::vector<uint8_t>(got_payload.begin(), got_payload.end()), payload);
  for (size_t bit = 0; bit < frame.size() * 8; bit += 13) {
    std::vector<uint8_t> bad = frame;
    bad[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    EXPECT_NE(decode_segment(bad, &got, &got_payload), segment_errc::ok) << "bit " << bit;
  }
  EXPECT_EQ(decode_segment(std::span<const uint8_t>(frame).first(20), &got, &got_payload),
            segment_errc::short_frame);
}

}  // namespace
}  // namespace rill::bypass
