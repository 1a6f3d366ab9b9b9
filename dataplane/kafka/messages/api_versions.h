// ApiVersions (key 18), v0-v3.
#pragma once

#include "base/wire.h"
#include "dataplane/kafka/protocol.h"
#include "dataplane/kafka/request_header.h"

namespace rill::kafka {

// The request body carries only client software name/version (v3); they are
// read for logging and otherwise ignored.
bool decode_api_versions_request(wire_reader& in, const request_header& h);
// error is none or unsupported_version (then the body is encoded as v0).
void encode_api_versions_response(wire_writer& out, int16_t version, error_code error);

}  // namespace rill::kafka
