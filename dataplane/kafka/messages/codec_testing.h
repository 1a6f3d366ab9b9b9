// Test helpers for messages described with field_io.h: encoding at a
// version, and the round trip of a message at every version an API is
// served in (what is written reads back to the same bytes, nothing left).
#pragma once

#include <gtest/gtest.h>

#include <vector>

#include "dataplane/kafka/messages/field_io.h"
#include "dataplane/kafka/protocol.h"

namespace rill::kafka {

template <typename M>
std::vector<uint8_t> encode_at(const M& m, api_key key, int16_t version) {
  const api_range* api = find_api(static_cast<int16_t>(key));
  request_header h{.key = static_cast<int16_t>(key),
                   .version = version,
                   .flexible = version >= api->first_flexible};
  wire_writer out;
  encode_message(out, h, m);
  return std::move(out.bytes());
}

template <typename M>
inline void round_trips_at_every_version(const M& m, api_key key) {
  const api_range* api = find_api(static_cast<int16_t>(key));
  ASSERT_NE(api, nullptr);
  for (int16_t v = api->min_version; v <= api->max_version; ++v) {
    std::vector<uint8_t> bytes = encode_at(m, key, v);
    request_header h{
        .key = static_cast<int16_t>(key), .version = v, .flexible = v >= api->first_flexible};
    wire_reader in(bytes);
    M back;
    ASSERT_TRUE(decode_message(in, h, &back)) << api_name(h.key) << " v" << v;
    EXPECT_EQ(in.remaining(), 0u) << api_name(h.key) << " v" << v;
    EXPECT_EQ(encode_at(back, key, v), bytes) << api_name(h.key) << " v" << v;
  }
}

}  // namespace rill::kafka
