// The request header (v1 classic, v2 flexible) and which response header a
// response gets (ApiVersions always answers with header v0).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/wire.h"
#include "dataplane/kafka/protocol.h"

namespace rill::kafka {

struct request_header {
  int16_t key = 0;
  int16_t version = 0;
  int32_t correlation_id = 0;
  std::optional<std::string> client_id;
  bool flexible = false;  // the body's encoding
};

enum class header_errc : uint8_t { ok = 0, malformed, unknown_api, unsupported_version };

// Reads the header. For a known API with an unsupported version the
// header is still filled so that the caller can answer UNSUPPORTED_VERSION.
header_errc decode_request_header(wire_reader& in, request_header* out);

// Writes the response header for h.
void encode_response_header(const request_header& h, wire_writer& out);

}  // namespace rill::kafka
