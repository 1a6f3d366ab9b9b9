#include "dataplane/kafka/messages/admin.h"

namespace rill::kafka {

bool decode_create_topics_request(wire_reader& in, const request_header& h,
                                  create_topics_request* out) {
  const bool f = h.flexible;
  int32_t topics = in.array_length(f);
  for (int32_t t = 0; t < topics && in.ok(); ++t) {
    create_topic_spec& spec = out->topics.emplace_back();
    spec.name = in.string(f);
    spec.partitions = in.i32();
    spec.replication_factor = in.i16();
    int32_t assignments = in.array_length(f, 8);
    for (int32_t a = 0; a < assignments && in.ok(); ++a) {
      auto& entry = spec.assignments.emplace_back();
      entry.first = in.i32();
      int32_t n = in.array_length(f, 4);
      for (int32_t i = 0; i < n && in.ok(); ++i) entry.second.push_back(in.i32());
      if (f) in.skip_tagged_fields();
    }
    int32_t configs = in.array_length(f);
    for (int32_t c = 0; c < configs && in.ok(); ++c) {
      std::string name = in.string(f);
      spec.configs.emplace_back(std::move(name), in.nullable_string(f));
      if (f) in.skip_tagged_fields();
    }
    if (f) in.skip_tagged_fields();
  }
  out->timeout_ms = in.i32();
  if (h.version >= 1) out->validate_only = in.boolean();
  if (f) in.skip_tagged_fields();
  return in.ok();
}

void encode_create_topics_response(wire_writer& out, const request_header& h,
                                   const std::vector<topic_result>& results) {
  const bool f = h.flexible;
  if (h.version >= 2) out.i32(0);
  out.array_length(static_cast<int32_t>(results.size()), f);
  for (const topic_result& r : results) {
    out.string(r.name, f);
    out.i16(static_cast<int16_t>(r.error));
    if (h.version >= 1) out.nullable_string(r.message, f);
    out.empty_tagged_fields(f);
  }
  out.empty_tagged_fields(f);
}

bool decode_describe_configs_request(wire_reader& in, const request_header& h,
                                     describe_configs_request* out) {
  const bool f = h.flexible;
  int32_t n = in.array_length(f);
  for (int32_t i = 0; i < n && in.ok(); ++i) {
    describe_configs_resource& r = out->resources.emplace_back();
    r.type = in.i8();
    r.name = in.string(f);
    int32_t keys = in.array_length(f);
    if (keys >= 0) {
      r.keys.emplace();
      for (int32_t k = 0; k < keys && in.ok(); ++k) r.keys->push_back(in.string(f));
    }
    if (f) in.skip_tagged_fields();
  }
  if (h.version >= 1) (void)in.boolean();  // include synonyms
  if (h.version >= 3) (void)in.boolean();  // include documentation
  if (f) in.skip_tagged_fields();
  return in.ok();
}

void encode_describe_configs_response(wire_writer& out, const request_header& h,
                                      const std::vector<describe_configs_result>& results) {
  const int16_t v = h.version;
  const bool f = h.flexible;
  out.i32(0);
  out.array_length(static_cast<int32_t>(results.size()), f);
  for (const describe_configs_result& r : results) {
    out.i16(static_cast<int16_t>(r.error));
    out.nullable_string(r.message, f);
    out.i8(r.type);
    out.string(r.name, f);
    out.array_length(static_cast<int32_t>(r.configs.size()), f);
    for (const config_entry& c : r.configs) {
      out.string(c.name, f);
      out.nullable_string(c.value, f);
      out.boolean(c.read_only);
      if (v == 0) {
        out.boolean(c.is_default);
      } else {
        // 5: DEFAULT_CONFIG, 1: DYNAMIC_TOPIC_CONFIG, 4: STATIC_BROKER_CONFIG
        out.i8(c.is_default ? 5 : (r.type == k_resource_topic ? 1 : 4));
      }
      out.boolean(false);                  // is_sensitive
      if (v >= 1) out.array_length(0, f);  // synonyms
      if (v >= 3) {
        out.i8(0);                             // config type: unknown
        out.nullable_string(std::nullopt, f);  // documentation
      }
      out.empty_tagged_fields(f);
    }
    out.empty_tagged_fields(f);
  }
  out.empty_tagged_fields(f);
}

// DeleteTopics, InitProducerId, AlterConfigs and ElectLeaders are
// described once (admin.h) and coded by field_io; these keep the handlers'
// types.

bool decode_delete_topics_request(wire_reader& in, const request_header& h,
                                  delete_topics_request* out) {
  return decode_message(in, h, out);
}

void encode_delete_topics_response(wire_writer& out, const request_header& h,
                                   const std::vector<topic_result>& results) {
  delete_topics_response m;
  for (const topic_result& r : results) m.topics.push_back({r.name, static_cast<int16_t>(r.error)});
  encode_message(out, h, m);
}

bool decode_init_producer_id_request(wire_reader& in, const request_header& h,
                                     init_producer_id_request* out) {
  return decode_message(in, h, out);
}

void encode_init_producer_id_response(wire_writer& out, const request_header& h, error_code error,
                                      int64_t producer_id, int16_t producer_epoch) {
  encode_message(out, h,
                 init_producer_id_response{.error = static_cast<int16_t>(error),
                                           .producer_id = producer_id,
                                           .producer_epoch = producer_epoch});
}

bool decode_alter_configs_request(wire_reader& in, const request_header& h,
                                  alter_configs_request* out) {
  return decode_message(in, h, out);
}

void encode_alter_configs_response(wire_writer& out, const request_header& h,
                                   const std::vector<alter_configs_result>& results) {
  alter_configs_response m;
  for (const alter_configs_result& r : results) {
    m.responses.push_back({static_cast<int16_t>(r.error), r.message, r.type, r.name});
  }
  encode_message(out, h, m);
}

bool decode_elect_leaders_request(wire_reader& in, const request_header& h,
                                  elect_leaders_request* out) {
  return decode_message(in, h, out);
}

void encode_elect_leaders_response(wire_writer& out, const request_header& h, error_code top,
                                   const std::vector<elect_leaders_result>& results) {
  elect_leaders_response m{.error = static_cast<int16_t>(top)};
  for (const elect_leaders_result& r : results) {
    auto& t = m.results.emplace_back();
    t.topic = r.topic;
    for (const auto& [index, error] : r.partitions) {
      t.partitions.push_back({index, static_cast<int16_t>(error), std::nullopt});
    }
  }
  encode_message(out, h, m);
}

}  // namespace rill::kafka
