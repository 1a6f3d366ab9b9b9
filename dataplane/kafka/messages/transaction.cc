#include "dataplane/kafka/messages/transaction.h"

namespace rill::kafka {

std::vector<uint8_t> encode_write_txn_markers_frame(int32_t correlation,
                                                    const write_txn_markers_request& req) {
  wire_writer w;
  size_t at = w.begin_size();
  w.i16(static_cast<int16_t>(api_key::write_txn_markers));
  w.i16(k_write_txn_markers_version);
  w.i32(correlation);
  w.string("rill-txn-coordinator", false);  // the header's client id is never compact
  w.uvarint(0);                             // header tagged fields
  request_header h{.key = static_cast<int16_t>(api_key::write_txn_markers),
                   .version = k_write_txn_markers_version,
                   .flexible = true};
  encode_message(w, h, req);
  w.finish_size(at);
  return std::move(w.bytes());
}

bool decode_write_txn_markers_response(wire_reader& in, int32_t* correlation,
                                       write_txn_markers_response* out) {
  *correlation = in.i32();
  in.skip_tagged_fields();  // response header v1
  request_header h{.key = static_cast<int16_t>(api_key::write_txn_markers),
                   .version = k_write_txn_markers_version,
                   .flexible = true};
  return decode_message(in, h, out);
}

}  // namespace rill::kafka
