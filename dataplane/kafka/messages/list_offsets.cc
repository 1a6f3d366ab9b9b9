#include "dataplane/kafka/messages/list_offsets.h"

namespace rill::kafka {

bool decode_list_offsets_request(wire_reader& in, const request_header& h,
                                 list_offsets_request* out) {
  const int16_t v = h.version;
  const bool f = h.flexible;
  out->replica_id = in.i32();
  if (v >= 2) out->isolation_level = in.i8();
  int32_t topics = in.array_length(f);
  for (int32_t t = 0; t < topics && in.ok(); ++t) {
    list_offsets_topic& topic = out->topics.emplace_back();
    topic.name = in.string(f);
    int32_t partitions = in.array_length(f, 12);
    for (int32_t p = 0; p < partitions && in.ok(); ++p) {
      list_offsets_partition& part = topic.partitions.emplace_back();
      part.index = in.i32();
      if (v >= 4) part.current_leader_epoch = in.i32();
      part.timestamp = in.i64();
      if (f) in.skip_tagged_fields();
    }
    if (f) in.skip_tagged_fields();
  }
  if (f) in.skip_tagged_fields();
  return in.ok();
}

void encode_list_offsets_response(wire_writer& out, const request_header& h,
                                  const std::vector<list_offsets_topic_response>& topics) {
  const int16_t v = h.version;
  const bool f = h.flexible;
  if (v >= 2) out.i32(0);  // throttle
  out.array_length(static_cast<int32_t>(topics.size()), f);
  for (const list_offsets_topic_response& t : topics) {
    out.string(t.name, f);
    out.array_length(static_cast<int32_t>(t.partitions.size()), f);
    for (const list_offsets_partition_response& p : t.partitions) {
      out.i32(p.index);
      out.i16(static_cast<int16_t>(p.error));
      out.i64(p.timestamp);
      out.i64(p.offset);
      if (v >= 4) out.i32(p.leader_epoch);
      out.empty_tagged_fields(f);
    }
    out.empty_tagged_fields(f);
  }
  out.empty_tagged_fields(f);
}

}  // namespace rill::kafka
