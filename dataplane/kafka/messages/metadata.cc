#include "dataplane/kafka/messages/metadata.h"

namespace rill::kafka {

bool decode_metadata_request(wire_reader& in, const request_header& h, metadata_request* out) {
  const bool f = h.flexible;
  int32_t n = in.array_length(f);
  if (n >= 0) {
    out->topics.emplace();
    for (int32_t i = 0; i < n && in.ok(); ++i) {
      if (h.version >= 10) (void)in.uuid();
      auto name = in.nullable_string(f);
      if (name) out->topics->push_back(*name);
      if (f) in.skip_tagged_fields();
    }
    if (h.version == 0 && n == 0) out->topics.reset();  // v0: an empty list means all
  }
  if (h.version >= 4) out->allow_auto_topic_creation = in.boolean();
  if (h.version >= 8 && h.version <= 10) (void)in.boolean();  // cluster authorized ops
  if (h.version >= 8) (void)in.boolean();                     // topic authorized ops
  if (f) in.skip_tagged_fields();
  return in.ok();
}

namespace {

void encode_int_array(wire_writer& out, const std::vector<int32_t>& v, bool f) {
  out.array_length(static_cast<int32_t>(v.size()), f);
  for (int32_t x : v) out.i32(x);
}

void encode_partition(wire_writer& out, int16_t v, bool f, const metadata_partition& p) {
  out.i16(static_cast<int16_t>(p.error));
  out.i32(p.index);
  out.i32(p.leader);
  if (v >= 7) out.i32(p.leader_epoch);
  encode_int_array(out, p.replicas, f);
  encode_int_array(out, p.isr, f);
  if (v >= 5) encode_int_array(out, p.offline, f);
  out.empty_tagged_fields(f);
}

}  // namespace

void encode_metadata_response(wire_writer& out, const request_header& h,
                              const metadata_response& r) {
  const int16_t v = h.version;
  const bool f = h.flexible;
  if (v >= 3) out.i32(0);  // throttle
  out.array_length(static_cast<int32_t>(r.brokers.size()), f);
  for (const metadata_broker& b : r.brokers) {
    out.i32(b.node_id);
    out.string(b.host, f);
    out.i32(b.port);
    if (v >= 1) out.nullable_string(b.rack, f);
    out.empty_tagged_fields(f);
  }
  if (v >= 2) out.nullable_string(r.cluster_id, f);
  if (v >= 1) out.i32(r.controller_id);
  out.array_length(static_cast<int32_t>(r.topics.size()), f);
  for (const metadata_topic& t : r.topics) {
    out.i16(static_cast<int16_t>(t.error));
    out.string(t.name, f);
    if (v >= 10) out.uuid(t.id);
    if (v >= 1) out.boolean(t.is_internal);
    out.array_length(static_cast<int32_t>(t.partitions.size()), f);
    for (const metadata_partition& p : t.partitions) encode_partition(out, v, f, p);
    if (v >= 8) out.i32(INT32_MIN);  // topic authorized operations: not computed
    out.empty_tagged_fields(f);
  }
  if (v >= 8 && v <= 10) out.i32(INT32_MIN);
  out.empty_tagged_fields(f);
}

}  // namespace rill::kafka
