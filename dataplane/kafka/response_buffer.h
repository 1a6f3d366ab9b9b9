// response_buffer: a response frame as a list of segments, so that record
// data from the log's hot tail is sent from the log's own buffers (held by
// shared ownership until the kernel is done with them) instead of copied.
#pragma once

#include <memory>
#include <span>
#include <vector>

#include "base/wire.h"

namespace rill::kafka {

struct response_segment {
  std::shared_ptr<const void> owner;
  std::span<const uint8_t> bytes;
};

class response_buffer {
 public:
  // The writer for the bytes that follow; valid until borrow() or finish().
  wire_writer& writer() { return writer_; }
  // Appends bytes owned elsewhere (kept alive by owner).
  void borrow(std::shared_ptr<const void> owner, std::span<const uint8_t> bytes);
  // Closes the frame: prepends the 4-byte size. Returns the segments.
  std::vector<response_segment> finish();
  size_t size() const { return total_ + writer_.size(); }

 private:
  void flush_writer();
  wire_writer writer_;
  std::vector<response_segment> segments_;
  size_t total_ = 0;
};

}  // namespace rill::kafka
