// kafka_call: one request to a broker over a blocking socket, for the admin
// commands whose APIs librdkafka 2.0.2 lacks (partition reassignments).
// Messages are encoded and decoded with the broker's own schema-described
// codec (dataplane/kafka/messages); whether a version is flexible comes from
// the protocol table.
#pragma once

#include <optional>
#include <string>

#include "dataplane/kafka/messages/field_io.h"
#include "dataplane/kafka/protocol.h"
#include "dataplane/kafka/request_header.h"

namespace rill::cli {

// Sends one request (api, version, flexible) and returns the response body
// after its header, or nullopt after setting *error.
std::optional<std::vector<uint8_t>> kafka_round_trip(const std::string& bootstrap,
                                                     const kafka::request_header& h,
                                                     const std::vector<uint8_t>& body,
                                                     std::string* error);

// Encodes req, sends it and decodes the response into *resp.
template <typename Request, typename Response>
bool kafka_call(const std::string& bootstrap, kafka::api_key key, int16_t version,
                const Request& req, Response* resp, std::string* error) {
  const kafka::api_range* range = kafka::find_api(static_cast<int16_t>(key));
  kafka::request_header h{.key = static_cast<int16_t>(key),
                          .version = version,
                          .correlation_id = 1,
                          .client_id = std::string("rill-cli"),
                          .flexible = range != nullptr && version >= range->first_flexible};
  wire_writer body;
  kafka::encode_message(body, h, req);
  std::optional<std::vector<uint8_t>> answer = kafka_round_trip(bootstrap, h, body.bytes(), error);
  if (!answer) return false;
  wire_reader in(*answer);
  if (!kafka::decode_message(in, h, resp)) {
    *error = std::string("malformed ") + kafka::api_name(h.key) + " response";
    return false;
  }
  return true;
}

}  // namespace rill::cli
