// memory_link: two frame_links joined in memory, with seeded loss and
// duplication, for tests of the transport without DPDK. Both ends are used
// on one shard. Frames are copied on send (counted as such).
#pragma once

#include <cstring>
#include <deque>
#include <memory>
#include <random>
#include <vector>

#include "dataplane/bypass/frame_link.h"

namespace rill::bypass {

struct memory_wire {
  explicit memory_wire(uint64_t seed) : rng(seed) {}
  std::deque<std::vector<uint8_t>> queues[2];  // frames waiting for end 0 and end 1
  std::mt19937_64 rng;
  uint32_t loss_per_mille = 0;
  uint32_t duplicate_per_mille = 0;
  bool cut = false;  // every frame is lost
};

class memory_link final : public frame_link {
 public:
  memory_link(std::shared_ptr<memory_wire> wire, int end, int32_t peer)
      : wire_(std::move(wire)), end_(end), peer_(peer) {}

  unsigned receive(frame_sink& sink, unsigned burst_max) override {
    auto& q = wire_->queues[end_];
    unsigned n = 0;
    while (n < burst_max && !q.empty()) {
      std::vector<uint8_t> frame = std::move(q.front());
      q.pop_front();
      (void)sink.on_frame(frame);
      ++n;
    }
    counters_.frames_received += n;
    return n;
  }

  bool send(int32_t peer, std::span<const uint8_t> header,
            std::span<const payload_slice> payload) override {
    if (peer != peer_) return false;
    std::vector<uint8_t> frame(header.begin(), header.end());
    for (const payload_slice& p : payload) {
      frame.insert(frame.end(), p.bytes.begin(), p.bytes.end());
      counters_.payload_bytes_copied_on_send += p.bytes.size();
    }
    ++counters_.frames_sent;
    if (wire_->cut || wire_->rng() % 1000 < wire_->loss_per_mille) return true;
    auto& q = wire_->queues[1 - end_];
    if (wire_->rng() % 1000 < wire_->duplicate_per_mille) q.push_back(frame);
    q.push_back(std::move(frame));
    return true;
  }

  bool flush() override { return false; }
  bool reaches(int32_t peer) const override { return peer == peer_; }
  const link_counters& counters() const override { return counters_; }
  uint32_t segment_bytes_max() const override { return 8192; }

 private:
  std::shared_ptr<memory_wire> wire_;
  int end_;
  int32_t peer_;
  link_counters counters_;
};

}  // namespace rill::bypass
