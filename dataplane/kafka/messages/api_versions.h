// ApiVersions (key 18), v0-v3, described once (field_io.h) from Kafka's
// message schema.
#pragma once

#include <string>
#include <type_traits>
#include <vector>

#include "dataplane/kafka/messages/field_io.h"
#include "dataplane/kafka/protocol.h"

namespace rill::kafka {

struct api_versions_request {
  std::string client_software_name;     // v3+
  std::string client_software_version;  // v3+
};

struct api_version_entry {
  int16_t key = 0;
  int16_t min_version = 0;
  int16_t max_version = 0;
};

struct api_versions_response {
  error_code error = error_code::none;
  std::vector<api_version_entry> apis;
  int32_t throttle_time_ms = 0;  // v1+
};

template <typename IO, typename M>
void describe(IO& io, M& m) requires std::is_same_v<std::remove_const_t<M>, api_versions_request> {
  if (io.version() >= 3) {
    io.string(m.client_software_name);
    io.string(m.client_software_version);
  }
  io.tagged_fields();
}

template <typename IO, typename M>
void describe(IO& io, M& m) requires std::is_same_v<std::remove_const_t<M>, api_versions_response> {
  io.error(m.error);
  io.array(m.apis, [](IO& io, auto& a) {
    io.i16(a.key);
    io.i16(a.min_version);
    io.i16(a.max_version);
    io.tagged_fields();
  });
  if (io.version() >= 1) io.i32(m.throttle_time_ms);
  io.tagged_fields();
}

// What this broker serves (k_supported_apis), with error.
api_versions_response supported_api_versions(error_code error);

// error is none or unsupported_version (then the body is encoded as v0, as
// Kafka answers a version it does not know).
void encode_api_versions_response(wire_writer& out, int16_t version, error_code error);

}  // namespace rill::kafka
