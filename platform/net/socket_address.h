// socket_address: an IPv4 host:port, parsed and formatted.
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace rill::net {

struct socket_address {
  sockaddr_in sin{};

  // Parses a dotted IPv4 host ("127.0.0.1", "0.0.0.0" or "localhost").
  static bool parse(std::string_view host, uint16_t port, socket_address* out);
  uint16_t port() const { return ntohs(sin.sin_port); }
  std::string to_string() const;
};

}  // namespace rill::net
