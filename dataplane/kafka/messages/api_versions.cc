#include "dataplane/kafka/messages/api_versions.h"

namespace rill::kafka {

bool decode_api_versions_request(wire_reader& in, const request_header& h) {
  if (h.version >= 3) {
    (void)in.string(true);
    (void)in.string(true);
    in.skip_tagged_fields();
  }
  return in.ok();
}

void encode_api_versions_response(wire_writer& out, int16_t version, error_code error) {
  bool flexible = version >= 3;
  out.i16(static_cast<int16_t>(error));
  out.array_length(static_cast<int32_t>(std::size(k_supported_apis)), flexible);
  for (const api_range& r : k_supported_apis) {
    out.i16(static_cast<int16_t>(r.key));
    out.i16(r.min_version);
    out.i16(r.max_version);
    out.empty_tagged_fields(flexible);
  }
  if (version >= 1) out.i32(0);  // throttle_time_ms
  out.empty_tagged_fields(flexible);
}

}  // namespace rill::kafka
