#include "dataplane/kafka/response_buffer.h"

#include "base/byte_order.h"

namespace rill::kafka {

void response_buffer::flush_writer() {
  if (writer_.size() == 0) return;
  auto owned = std::make_shared<std::vector<uint8_t>>(std::move(writer_.bytes()));
  writer_ = wire_writer();
  total_ += owned->size();
  std::span<const uint8_t> view(*owned);
  segments_.push_back({std::move(owned), view});
}

void response_buffer::borrow(std::shared_ptr<const void> owner, std::span<const uint8_t> bytes) {
  flush_writer();
  if (bytes.empty()) return;
  total_ += bytes.size();
  segments_.push_back({std::move(owner), bytes});
}

std::vector<response_segment> response_buffer::finish() {
  flush_writer();
  auto frame_size = std::make_shared<std::vector<uint8_t>>(4);
  store_be32(frame_size->data(), static_cast<uint32_t>(total_));
  std::vector<response_segment> out;
  out.reserve(segments_.size() + 1);
  std::span<const uint8_t> view(*frame_size);
  out.push_back({std::move(frame_size), view});
  for (auto& s : segments_) out.push_back(std::move(s));
  segments_.clear();
  total_ = 0;
  return out;
}

}  // namespace rill::kafka
