#include "dataplane/kafka/messages/admin.h"

namespace rill::kafka {

// Codes DeleteTopics, InitProducerId, AlterConfigs and ElectLeaders
// (described in admin.h) from and to the handlers' types.

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
