#include "dataplane/kafka/messages/fetch.h"

namespace rill::kafka {

std::vector<uint8_t> encode_fetch_request_frame(int32_t correlation, const std::string& client_id,
                                                const fetch_request& req) {
  wire_writer w;
  size_t at = w.begin_size();
  w.i16(static_cast<int16_t>(api_key::fetch));
  w.i16(k_replica_fetch_version);
  w.i32(correlation);
  w.string(client_id, false);  // the header's client id is never compact
  w.uvarint(0);                // header tagged fields
  request_header h{.key = static_cast<int16_t>(api_key::fetch),
                   .version = k_replica_fetch_version,
                   .flexible = true};
  encode_message(w, h, req);
  w.finish_size(at);
  return std::move(w.bytes());
}

bool decode_fetch_response(wire_reader& in, int32_t* correlation, fetched_response* out) {
  *correlation = in.i32();
  in.skip_tagged_fields();  // response header v1
  request_header h{.key = static_cast<int16_t>(api_key::fetch),
                   .version = k_replica_fetch_version,
                   .flexible = true};
  return decode_message(in, h, out);
}

}  // namespace rill::kafka
