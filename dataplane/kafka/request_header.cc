#include "dataplane/kafka/request_header.h"

namespace rill::kafka {

header_errc decode_request_header(wire_reader& in, request_header* out) {
  out->key = in.i16();
  out->version = in.i16();
  out->correlation_id = in.i32();
  out->client_id = in.nullable_string(false);  // never compact, even in v2
  if (!in.ok()) return header_errc::malformed;
  const api_range* api = find_api(out->key);
  if (api == nullptr) return header_errc::unknown_api;
  if (out->version < api->min_version || out->version > api->max_version) {
    // ApiVersions of a version we do not know must still be answered (v0).
    return header_errc::unsupported_version;
  }
  out->flexible = out->version >= api->first_flexible;
  if (out->flexible) in.skip_tagged_fields();
  return in.ok() ? header_errc::ok : header_errc::malformed;
}

void encode_response_header(const request_header& h, wire_writer& out) {
  out.i32(h.correlation_id);
  bool header_v1 = h.flexible && h.key != static_cast<int16_t>(api_key::api_versions);
  if (header_v1) out.uvarint(0);
}

}  // namespace rill::kafka
