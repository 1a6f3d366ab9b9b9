#include "dataplane/kafka/messages/produce.h"

namespace rill::kafka {

bool decode_produce_request(wire_reader& in, const request_header& h, produce_request* out) {
  const bool f = h.flexible;
  if (h.version >= 3) out->transactional_id = in.nullable_string(f);
  out->acks = in.i16();
  out->timeout_ms = in.i32();
  int32_t topics = in.array_length(f);
  for (int32_t t = 0; t < topics && in.ok(); ++t) {
    produce_topic& topic = out->topics.emplace_back();
    topic.name = in.string(f);
    int32_t partitions = in.array_length(f);
    for (int32_t p = 0; p < partitions && in.ok(); ++p) {
      produce_partition& part = topic.partitions.emplace_back();
      part.index = in.i32();
      auto records = in.nullable_bytes(f);
      if (records)
        part.records = std::make_shared<std::vector<uint8_t>>(records->begin(), records->end());
      if (f) in.skip_tagged_fields();
    }
    if (f) in.skip_tagged_fields();
  }
  if (f) in.skip_tagged_fields();
  return in.ok();
}

void encode_produce_response(wire_writer& out, const request_header& h,
                             const std::vector<produce_topic_response>& topics) {
  const int16_t v = h.version;
  const bool f = h.flexible;
  out.array_length(static_cast<int32_t>(topics.size()), f);
  for (const produce_topic_response& t : topics) {
    out.string(t.name, f);
    out.array_length(static_cast<int32_t>(t.partitions.size()), f);
    for (const produce_partition_response& p : t.partitions) {
      out.i32(p.index);
      out.i16(static_cast<int16_t>(p.error));
      out.i64(p.base_offset);
      if (v >= 2) out.i64(p.log_append_time_ms);
      if (v >= 5) out.i64(p.log_start_offset);
      if (v >= 8) {
        out.array_length(0, f);  // record errors
        out.nullable_string(p.error_message, f);
      }
      out.empty_tagged_fields(f);
    }
    out.empty_tagged_fields(f);
  }
  if (v >= 1) out.i32(0);  // throttle_time_ms
  out.empty_tagged_fields(f);
}

}  // namespace rill::kafka
