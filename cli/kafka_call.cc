#include "cli/kafka_call.h"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/byte_order.h"
#include "base/host_port.h"

namespace rill::cli {

namespace {
constexpr size_t k_response_bytes_max = 64 << 20;
constexpr int k_io_timeout_s = 60;
}  // namespace

std::optional<std::vector<uint8_t>> kafka_round_trip(const std::string& bootstrap,
                                                     const kafka::request_header& h,
                                                     const std::vector<uint8_t>& body,
                                                     std::string* error) {
  host_port at;
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* ai = nullptr;
  std::string first = bootstrap.substr(0, bootstrap.find(','));
  if (!parse_host_port(first, &at) ||
      getaddrinfo(at.host.c_str(), std::to_string(at.port).c_str(), &hints, &ai) != 0) {
    *error = "cannot resolve " + first;
    return std::nullopt;
  }
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  timeval tv{.tv_sec = k_io_timeout_s, .tv_usec = 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  bool ok = fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0;
  freeaddrinfo(ai);
  // Request header v1 (v2 adds tagged fields for flexible versions): key,
  // version, correlation id, client id (a classic nullable string).
  wire_writer w;
  size_t size_at = w.begin_size();
  w.i16(h.key);
  w.i16(h.version);
  w.i32(h.correlation_id);
  w.string(h.client_id.value_or(""), false);
  if (h.flexible) w.uvarint(0);
  w.raw(body);
  w.finish_size(size_at);
  ok = ok && write(fd, w.bytes().data(), w.size()) == static_cast<ssize_t>(w.size());
  uint8_t size_bytes[4];
  ok = ok && recv(fd, size_bytes, 4, MSG_WAITALL) == 4;
  uint32_t size = ok ? load_be32(size_bytes) : 0;
  ok = ok && size >= 5 && size <= k_response_bytes_max;
  std::vector<uint8_t> frame(ok ? size : 0);
  ok = ok && recv(fd, frame.data(), size, MSG_WAITALL) == static_cast<ssize_t>(size);
  if (fd >= 0) close(fd);
  if (!ok) {
    *error = std::string(kafka::api_name(h.key)) + " request to " + first + " failed";
    return std::nullopt;
  }
  // Response header v0, or v1 with tagged fields (none expected).
  wire_reader in(frame);
  if (in.i32() != h.correlation_id || (h.flexible && in.uvarint() != 0) || !in.ok()) {
    *error = std::string("unexpected ") + kafka::api_name(h.key) + " response header";
    return std::nullopt;
  }
  return std::vector<uint8_t>(frame.begin() + static_cast<std::ptrdiff_t>(in.position()),
                              frame.end());
}

}  // namespace rill::cli
