#include "platform/net/socket_address.h"

#include <arpa/inet.h>

namespace rill::net {

bool socket_address::parse(std::string_view host, uint16_t port, socket_address* out) {
  std::string h(host == "localhost" ? std::string_view("127.0.0.1") : host);
  socket_address a;
  a.sin.sin_family = AF_INET;
  a.sin.sin_port = htons(port);
  if (inet_pton(AF_INET, h.c_str(), &a.sin.sin_addr) != 1) return false;
  *out = a;
  return true;
}

std::string socket_address::to_string() const {
  char buf[INET_ADDRSTRLEN] = {0};
  inet_ntop(AF_INET, &sin.sin_addr, buf, sizeof(buf));
  return std::string(buf) + ":" + std::to_string(port());
}

}  // namespace rill::net
