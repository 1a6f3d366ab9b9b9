#include "dataplane/kafka/messages/fetch.h"

namespace rill::kafka {

bool decode_fetch_request(wire_reader& in, const request_header& h, fetch_request* out) {
  const int16_t v = h.version;
  const bool f = h.flexible;
  out->replica_id = in.i32();
  out->max_wait_ms = in.i32();
  out->min_bytes = in.i32();
  out->max_bytes = in.i32();
  out->isolation_level = in.i8();
  if (v >= 7) {
    out->session_id = in.i32();
    out->session_epoch = in.i32();
  }
  int32_t topics = in.array_length(f);
  for (int32_t t = 0; t < topics && in.ok(); ++t) {
    fetch_topic& topic = out->topics.emplace_back();
    topic.name = in.string(f);
    int32_t partitions = in.array_length(f, 16);
    for (int32_t p = 0; p < partitions && in.ok(); ++p) {
      fetch_partition& part = topic.partitions.emplace_back();
      part.index = in.i32();
      if (v >= 9) part.current_leader_epoch = in.i32();
      part.fetch_offset = in.i64();
      if (v >= 12) part.last_fetched_epoch = in.i32();
      if (v >= 5) part.log_start_offset = in.i64();
      part.max_bytes = in.i32();
      if (f) in.skip_tagged_fields();
    }
    if (f) in.skip_tagged_fields();
  }
  if (v >= 7) {
    int32_t forgotten = in.array_length(f);
    for (int32_t t = 0; t < forgotten && in.ok(); ++t) {
      (void)in.string(f);
      int32_t n = in.array_length(f, 4);
      for (int32_t i = 0; i < n && in.ok(); ++i) (void)in.i32();
      if (f) in.skip_tagged_fields();
    }
  }
  if (v >= 11) (void)in.string(f);  // rack id
  if (f) in.skip_tagged_fields();
  return in.ok();
}

namespace {

// v12 tagged fields of a partition: DivergingEpoch (0) and CurrentLeader (1).
void encode_partition_tags(wire_writer& w, const fetch_partition_response& p) {
  uint32_t count = (p.diverging_epoch >= 0 ? 1 : 0) + (p.current_leader_id >= 0 ? 1 : 0);
  w.uvarint(count);
  if (p.diverging_epoch >= 0) {
    w.uvarint(0);
    w.uvarint(4 + 8 + 1);
    w.i32(p.diverging_epoch);
    w.i64(p.diverging_end_offset);
    w.uvarint(0);
  }
  if (p.current_leader_id >= 0) {
    w.uvarint(1);
    w.uvarint(4 + 4 + 1);
    w.i32(p.current_leader_id);
    w.i32(p.current_leader_epoch);
    w.uvarint(0);
  }
}

void encode_partition(response_buffer& out, int16_t v, bool f, const fetch_partition_response& p) {
  wire_writer& w = out.writer();
  w.i32(p.index);
  w.i16(static_cast<int16_t>(p.error));
  w.i64(p.high_watermark);
  w.i64(p.last_stable_offset);
  if (v >= 5) w.i64(p.log_start_offset);
  w.array_length(0, f);    // aborted transactions: none (no transactions yet)
  if (v >= 11) w.i32(-1);  // preferred read replica
  w.bytes_length(static_cast<int32_t>(p.records.bytes), f);
  for (const storage::batch_slice& s : p.records.slices) {
    if (s.bytes.size() >= k_zero_copy_slice_bytes_min) {
      out.borrow(s.owner, s.bytes);
    } else {
      out.writer().raw(s.bytes);
    }
  }
  if (f) encode_partition_tags(out.writer(), p);
}

}  // namespace

void encode_fetch_response(response_buffer& out, const request_header& h, error_code top_error,
                           const std::vector<fetch_topic_response>& topics) {
  const int16_t v = h.version;
  const bool f = h.flexible;
  wire_writer& w = out.writer();
  w.i32(0);  // throttle
  if (v >= 7) {
    w.i16(static_cast<int16_t>(top_error));
    w.i32(0);  // session id: sessions are not kept; clients send full requests
  }
  w.array_length(static_cast<int32_t>(topics.size()), f);
  for (const fetch_topic_response& t : topics) {
    out.writer().string(t.name, f);
    out.writer().array_length(static_cast<int32_t>(t.partitions.size()), f);
    for (const fetch_partition_response& p : t.partitions) encode_partition(out, v, f, p);
    out.writer().empty_tagged_fields(f);
  }
  out.writer().empty_tagged_fields(f);
}

}  // namespace rill::kafka

namespace rill::kafka {

std::vector<uint8_t> encode_fetch_request_frame(int32_t correlation, const std::string& client_id,
                                                const fetch_request& req) {
  const bool f = true;
  wire_writer w;
  size_t at = w.begin_size();
  w.i16(static_cast<int16_t>(api_key::fetch));
  w.i16(k_replica_fetch_version);
  w.i32(correlation);
  w.string(client_id, false);  // the header's client id is never compact
  w.uvarint(0);                // header tagged fields
  w.i32(req.replica_id);
  w.i32(req.max_wait_ms);
  w.i32(req.min_bytes);
  w.i32(req.max_bytes);
  w.i8(req.isolation_level);
  w.i32(req.session_id);
  w.i32(req.session_epoch);
  w.array_length(static_cast<int32_t>(req.topics.size()), f);
  for (const fetch_topic& t : req.topics) {
    w.string(t.name, f);
    w.array_length(static_cast<int32_t>(t.partitions.size()), f);
    for (const fetch_partition& p : t.partitions) {
      w.i32(p.index);
      w.i32(p.current_leader_epoch);
      w.i64(p.fetch_offset);
      w.i32(p.last_fetched_epoch);
      w.i64(p.log_start_offset);
      w.i32(p.max_bytes);
      w.uvarint(0);
    }
    w.uvarint(0);
  }
  w.array_length(0, f);  // forgotten topics
  w.string("", f);       // rack
  w.uvarint(0);
  w.finish_size(at);
  return std::move(w.bytes());
}

namespace {

// Reads the v12 tagged fields of a fetched partition (DivergingEpoch = 0).
void read_partition_tags(wire_reader& in, fetched_partition* p) {
  uint32_t count = in.uvarint();
  for (uint32_t i = 0; i < count && in.ok(); ++i) {
    uint32_t tag = in.uvarint();
    uint32_t size = in.uvarint();
    if (tag == 0) {
      size_t before = in.position();
      p->diverging_epoch = in.i32();
      p->diverging_end_offset = in.i64();
      in.skip_tagged_fields();
      if (in.position() - before != size) in.fail();
    } else {
      (void)in.take(size);
    }
  }
}

}  // namespace

bool decode_fetch_response(wire_reader& in, int32_t* correlation, error_code* top_error,
                           std::vector<fetched_topic>* topics) {
  const bool f = true;
  *correlation = in.i32();
  in.skip_tagged_fields();
  (void)in.i32();  // throttle
  *top_error = static_cast<error_code>(in.i16());
  (void)in.i32();  // session id
  int32_t n = in.array_length(f);
  for (int32_t t = 0; t < n && in.ok(); ++t) {
    fetched_topic& topic = topics->emplace_back();
    topic.name = in.string(f);
    int32_t parts = in.array_length(f, 30);
    for (int32_t i = 0; i < parts && in.ok(); ++i) {
      fetched_partition& p = topic.partitions.emplace_back();
      p.index = in.i32();
      p.error = static_cast<error_code>(in.i16());
      p.high_watermark = in.i64();
      (void)in.i64();  // last stable offset
      p.log_start_offset = in.i64();
      int32_t aborted = in.array_length(f, 16);
      for (int32_t a = 0; a < aborted && in.ok(); ++a) {
        (void)in.i64();
        (void)in.i64();
        in.skip_tagged_fields();
      }
      (void)in.i32();  // preferred read replica
      auto records = in.nullable_bytes(f);
      if (records) p.records = *records;
      read_partition_tags(in, &p);
    }
    in.skip_tagged_fields();
  }
  in.skip_tagged_fields();
  return in.ok();
}

}  // namespace rill::kafka
