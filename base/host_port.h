// "host:port" and "host:port,host:port,..." as configured on the command
// line (the last colon separates the port, so "[::1]:9092"-free IPv6 hosts
// are not supported). Ports must be 1-65535; anything else is refused.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

namespace rill {

struct host_port {
  std::string host;
  uint16_t port = 0;
};

inline bool parse_host_port(const std::string& text, host_port* out) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) return false;
  char* end = nullptr;
  long port = std::strtol(text.c_str() + colon + 1, &end, 10);
  if (*end != '\0' || port <= 0 || port > 65535) return false;
  out->host = text.substr(0, colon);
  out->port = static_cast<uint16_t>(port);
  return true;
}

// Comma-separated; false (and out untouched) when any item does not parse.
inline bool parse_host_port_list(const std::string& text, std::vector<host_port>* out) {
  std::vector<host_port> parsed;
  size_t start = 0;
  for (;;) {
    size_t comma = text.find(',', start);
    host_port hp;
    if (!parse_host_port(text.substr(start, comma == std::string::npos ? comma : comma - start),
                         &hp))
      return false;
    parsed.push_back(hp);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  *out = std::move(parsed);
  return true;
}

}  // namespace rill
