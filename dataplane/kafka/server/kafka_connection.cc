#include "dataplane/kafka/server/kafka_connection.h"

#include <deque>
#include <memory>

#include "base/log.h"
#include "dataplane/kafka/handlers/handler.h"
#include "dataplane/kafka/messages/api_versions.h"
#include "dataplane/kafka/server/request_stats.h"
#include "platform/net/framed.h"
#include "platform/runtime/wait_queue.h"

namespace rill::kafka {
namespace {

constexpr size_t k_small_segment_bytes_max = 16 * 1024;

struct response_slot {
  bool ready = false;
  bool close_after = false;
  std::optional<response_buffer> response;
};

class session {
 public:
  session(net::byte_stream& c, partition::broker_context& broker)
      : connection_(c), shard_(*runtime::shard::current()), context_{&broker, c.peer_name()} {}

  task<void> run() {
    spawn(write_loop());
    co_await read_loop();
    reading_done_ = true;
    changed_.notify_all();
    while (!writer_done_ || in_flight_ > 0) co_await changed_.wait(shard_);
  }

 private:
  void close_with(const std::string& reason) {
    RILL_WARN("kafka", "closing connection from %s: %s", context_.peer.c_str(), reason.c_str());
    connection_.shutdown_read();
  }

  task<void> read_loop() {
    const auto frame_max =
        static_cast<size_t>(context_.broker->settings().socket_request_bytes_max);
    for (;;) {
      net::frame_read f =
          co_await net::read_frame(connection_, {.min_bytes = 8, .max_bytes = frame_max});
      if (f.error == net::frame_errc::out_of_bounds) {
        close_with("frame of " + std::to_string(f.size) + " bytes (socket.request.max.bytes is " +
                   std::to_string(frame_max) + ")");
      }
      if (f.error != net::frame_errc::ok) co_return;
      auto frame = std::make_shared<std::vector<uint8_t>>(std::move(f.body));
      if (!start_request(std::move(frame))) co_return;
      while (in_flight_ >= context_.broker->settings().requests_in_flight_max) {
        co_await changed_.wait(shard_);
      }
    }
  }

  // Returns false when the connection must close.
  bool start_request(std::shared_ptr<std::vector<uint8_t>> frame) {
    wire_reader in(*frame);
    request_header h;
    header_errc e = decode_request_header(in, &h);
    if (e == header_errc::malformed) {
      close_with("malformed request header");
      return false;
    }
    if (e == header_errc::unknown_api) {
      close_with("unknown API key " + std::to_string(h.key));
      return false;
    }
    auto slot = std::make_shared<response_slot>();
    slots_.push_back(slot);
    if (e == header_errc::unsupported_version) {
      if (h.key != static_cast<int16_t>(api_key::api_versions)) {
        close_with(std::string("unsupported version ") + std::to_string(h.version) + " of " +
                   api_name(h.key));
        slots_.pop_back();
        return false;
      }
      // Answer in v0 with UNSUPPORTED_VERSION so the client can fall back.
      h.flexible = false;
      slot->response = start_response(h);
      encode_api_versions_response(slot->response->writer(), 0, error_code::unsupported_version);
      slot->ready = true;
      changed_.notify_all();
      return true;
    }
    size_t body_at = in.position();
    ++in_flight_;
    spawn(run_handler(h, std::move(frame), body_at, slot));
    return true;
  }

  task<void> run_handler(request_header h, std::shared_ptr<std::vector<uint8_t>> frame,
                         size_t body_at, std::shared_ptr<response_slot> slot) {
    runtime::work_guard guard(shard_);
    uint64_t started_ns = runtime::monotonic_ns();
    // The ticket is taken before anything suspends, so in read order.
    turn_queue::turn order = co_await order_.enter();
    handler_result r = co_await handle_request(h, std::span<const uint8_t>(*frame).subspan(body_at),
                                               context_, order);
    order.release();
    request_stats::local().record(h.key, runtime::monotonic_ns() - started_ns, frame->size(),
                                  r.malformed);
    if (r.malformed) {
      RILL_WARN("kafka", "closing connection from %s: %s", context_.peer.c_str(), r.reason.c_str());
      slot->close_after = true;
    }
    slot->response = std::move(r.response);
    slot->ready = true;
    --in_flight_;
    changed_.notify_all();
  }

  task<void> write_loop() {
    runtime::work_guard guard(shard_);
    for (;;) {
      while (!slots_.empty() && slots_.front()->ready) {
        std::shared_ptr<response_slot> slot = slots_.front();
        slots_.pop_front();
        if (slot->response && !failed_) failed_ = (co_await send(*slot->response)) != 0;
        if (slot->close_after || failed_) {
          connection_.shutdown_read();
          failed_ = true;
        }
      }
      if (reading_done_ && in_flight_ == 0 && slots_.empty()) break;
      co_await changed_.wait(shard_);
    }
    writer_done_ = true;
    changed_.notify_all();
  }

  // Small segments are gathered into one send; large ones are sent from
  // the log's own buffers, with SEND_ZC when socket.zero.copy.min.bytes
  // allows it.
  task<int> send(response_buffer& response) {
    std::vector<response_segment> segments = response.finish();
    const int64_t zero_copy_min = context_.broker->settings().zero_copy_min_bytes;
    std::vector<uint8_t> gathered;
    for (response_segment& s : segments) {
      if (s.bytes.size() <= k_small_segment_bytes_max) {
        gathered.insert(gathered.end(), s.bytes.begin(), s.bytes.end());
        continue;
      }
      if (!gathered.empty()) {
        if (int rc = co_await connection_.send_all(gathered); rc != 0) co_return rc;
        gathered.clear();
      }
      int rc = 0;
      if (connection_.prefers_sending_by_reference() ||
          (zero_copy_min > 0 && static_cast<int64_t>(s.bytes.size()) >= zero_copy_min)) {
        std::shared_ptr<const void> owner = s.owner;
        rc = co_await connection_.send_zero_copy(s.bytes, [owner]() mutable { owner.reset(); });
      } else {
        rc = co_await connection_.send_all(s.bytes);
      }
      if (rc != 0) co_return rc;
    }
    if (!gathered.empty()) co_return co_await connection_.send_all(gathered);
    co_return 0;
  }

  net::byte_stream& connection_;
  runtime::shard& shard_;
  request_context context_;
  std::deque<std::shared_ptr<response_slot>> slots_;
  turn_queue order_;  // requests take effect in the order they were read
  runtime::wait_queue changed_;
  int32_t in_flight_ = 0;
  bool reading_done_ = false;
  bool writer_done_ = false;
  bool failed_ = false;
};

}  // namespace

task<void> serve_kafka_connection(net::byte_stream& connection, partition::broker_context& broker) {
  session s(connection, broker);
  co_await s.run();
}

}  // namespace rill::kafka
