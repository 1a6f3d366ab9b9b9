#include "platform/net/framed.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/byte_order.h"
#include "tests/support/run_on_runtime.h"

namespace rill::net {
namespace {

// A stream whose peer has already sent `in` and then closed: fills succeed
// while the bytes last. What is sent is kept.
class script_stream final : public byte_stream {
 public:
  explicit script_stream(std::vector<uint8_t> in) : in_(std::move(in)) {}
  task<bool> fill(size_t n) override { co_return in_.size() - at_ >= n; }
  task<bool> fill_until(size_t n, uint64_t) override { co_return in_.size() - at_ >= n; }
  std::span<const uint8_t> input() const override {
    return std::span<const uint8_t>(in_).subspan(at_);
  }
  void consume(size_t n) override { at_ += n; }
  task<int> send_all(std::span<const uint8_t> data) override {
    sent.insert(sent.end(), data.begin(), data.end());
    co_return send_error;
  }
  task<int> send_zero_copy(std::span<const uint8_t> data, std::function<void()> release) override {
    int rc = co_await send_all(data);
    release();
    co_return rc;
  }
  void shutdown_read() override {}
  task<void> close() override { co_return; }
  bool peer_closed() const override { return at_ == in_.size(); }
  std::string peer_name() const override { return "script"; }

  std::vector<uint8_t> sent;
  int send_error = 0;

 private:
  std::vector<uint8_t> in_;
  size_t at_ = 0;
};

std::vector<uint8_t> frame_of(const std::string& body, int32_t declared) {
  std::vector<uint8_t> out(4);
  store_be32(out.data(), static_cast<uint32_t>(declared));
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

std::vector<uint8_t> frames(std::initializer_list<std::vector<uint8_t>> parts) {
  std::vector<uint8_t> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

void run(std::function<task<void>()> body) {
  testing::run_on_runtime({.shard_count = 1},
                          [&](runtime::runtime&) -> task<void> { co_await body(); });
}

const frame_limits k_limits{.min_bytes = 2, .max_bytes = 8};

TEST(framed, reads_back_to_back_frames_and_leaves_the_rest) {
  script_stream s(frames({frame_of("abc", 3), frame_of("defgh", 5), {0, 0}}));
  run([&]() -> task<void> {
    auto a = co_await read_frame(s, k_limits);
    auto b = co_await read_frame(s, k_limits);
    EXPECT_EQ(std::string(a.body.begin(), a.body.end()), "abc");
    EXPECT_EQ(std::string(b.body.begin(), b.body.end()), "defgh");
    EXPECT_EQ(s.input().size(), 2u);  // an incomplete length prefix stays
    EXPECT_EQ((co_await read_frame(s, k_limits)).error, frame_errc::closed);
  });
}

TEST(framed, a_view_leaves_the_frame_in_the_stream_until_consumed) {
  script_stream s(frame_of("wxyz", 4));
  run([&]() -> task<void> {
    frame_view f = co_await await_frame(s, k_limits, 0);
    EXPECT_EQ(f.error, frame_errc::ok);
    EXPECT_EQ(f.size, 4);
    EXPECT_EQ(s.input().size(), frame_total(f.size));
    EXPECT_EQ(s.input()[4], 'w');
  });
}

TEST(framed, sizes_outside_the_limits_are_refused_with_what_was_declared) {
  for (int32_t declared : {1, 9, -5, 0x7fffffff}) {
    script_stream s(frame_of("abcdefghij", declared));
    run([&]() -> task<void> {
      frame_read f = co_await read_frame(s, k_limits);
      EXPECT_EQ(f.error, frame_errc::out_of_bounds) << declared;
      EXPECT_EQ(f.size, declared);
    });
  }
}

TEST(framed, a_frame_cut_short_by_the_peer_is_closed) {
  script_stream s(frame_of("abc", 6));
  run([&]() -> task<void> {
    EXPECT_EQ((co_await await_frame(s, k_limits, 0)).error, frame_errc::closed);
  });
}

TEST(framed, a_round_trip_sends_the_request_then_reads_the_reply) {
  script_stream s(frame_of("reply", 5));
  script_stream broken(frame_of("reply", 5));
  broken.send_error = -32;  // EPIPE
  run([&]() -> task<void> {
    std::vector<uint8_t> request = frame_of("ask", 3);
    auto reply = co_await round_trip(s, request, k_limits, 1);
    EXPECT_EQ(s.sent, request);
    EXPECT_EQ(std::string(reply->begin(), reply->end()), "reply");
    EXPECT_FALSE(co_await round_trip(broken, request, k_limits, 1));
  });
}

}  // namespace
}  // namespace rill::net
