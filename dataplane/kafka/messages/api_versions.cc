#include "dataplane/kafka/messages/api_versions.h"

namespace rill::kafka {

api_versions_response supported_api_versions(error_code error) {
  api_versions_response r{.error = error};
  for (const api_range& a : k_supported_apis) {
    r.apis.push_back({static_cast<int16_t>(a.key), a.min_version, a.max_version});
  }
  return r;
}

void encode_api_versions_response(wire_writer& out, int16_t version, error_code error) {
  const api_range* api = find_api(static_cast<int16_t>(api_key::api_versions));
  request_header h{.key = static_cast<int16_t>(api_key::api_versions),
                   .version = version,
                   .flexible = version >= api->first_flexible};
  encode_message(out, h, supported_api_versions(error));
}

}  // namespace rill::kafka
