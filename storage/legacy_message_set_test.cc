#include "storage/legacy_message_set.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "base/byte_order.h"
#include "storage/compression.h"
#include "storage/record_batch.h"
#include "storage/record_reader.h"

namespace rill::storage {
namespace {

// CRC-32 (IEEE), bit by bit: independent of the zlib the converter uses.
uint32_t crc32_ieee(const uint8_t* p, size_t n) {
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
  }
  return ~c;
}

void put32(std::vector<uint8_t>& out, int32_t v) {
  uint8_t b[4];
  store_be32(b, static_cast<uint32_t>(v));
  out.insert(out.end(), b, b + 4);
}

void put_bytes(std::vector<uint8_t>& out, const std::optional<std::string>& s) {
  put32(out, s ? static_cast<int32_t>(s->size()) : -1);
  if (s) out.insert(out.end(), s->begin(), s->end());
}

// One entry of a message set: offset, size, message (format v0 or v1).
void put_message(std::vector<uint8_t>& set, int8_t magic, uint8_t attributes, int64_t timestamp,
                 const std::optional<std::string>& key, const std::optional<std::string>& value) {
  std::vector<uint8_t> body = {static_cast<uint8_t>(magic), attributes};
  if (magic == 1) {
    uint8_t ts[8];
    store_be64(ts, static_cast<uint64_t>(timestamp));
    body.insert(body.end(), ts, ts + 8);
  }
  put_bytes(body, key);
  put_bytes(body, value);
  std::vector<uint8_t> msg(4);
  store_be32(msg.data(), crc32_ieee(body.data(), body.size()));
  msg.insert(msg.end(), body.begin(), body.end());
  uint8_t offset[8] = {};
  set.insert(set.end(), offset, offset + 8);
  put32(set, static_cast<int32_t>(msg.size()));
  set.insert(set.end(), msg.begin(), msg.end());
}

struct seen {
  std::optional<std::string> key, value;
  int64_t timestamp;
};

std::vector<seen> records_of(const std::vector<uint8_t>& batch) {
  size_t size = 0;
  EXPECT_EQ(validate_batch(batch, 1 << 20, count_check::exact, &size), batch_errc::ok);
  std::vector<seen> out;
  record_reader r(batch);
  auto text = [](std::optional<std::span<const uint8_t>> b) -> std::optional<std::string> {
    if (!b) return std::nullopt;
    return std::string(b->begin(), b->end());
  };
  while (auto rec = r.next()) out.push_back({text(rec->key), text(rec->value), rec->timestamp_ms});
  return out;
}

TEST(legacy_message_set, format_v0_becomes_a_batch_without_timestamps) {
  std::vector<uint8_t> set;
  put_message(set, 0, 0, 0, "k", "v1");
  put_message(set, 0, 0, 0, std::nullopt, "v2");
  auto batch = upconvert_message_set(set, 1 << 20);
  ASSERT_TRUE(batch.ok()) << legacy_errc_name(batch.error());
  auto recs = records_of(batch.value());
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].key, "k");
  EXPECT_EQ(recs[1].key, std::nullopt);
  EXPECT_EQ(recs[1].value, "v2");
  EXPECT_EQ(recs[0].timestamp, -1) << "format v0 has no timestamp";
}

TEST(legacy_message_set, format_v1_keeps_each_timestamp) {
  std::vector<uint8_t> set;
  put_message(set, 1, 0, 5000, "a", "1");
  put_message(set, 1, 0, 5250, "b", std::nullopt);
  auto recs = records_of(upconvert_message_set(set, 1 << 20).value());
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].timestamp, 5000);
  EXPECT_EQ(recs[1].timestamp, 5250);
  EXPECT_EQ(recs[1].value, std::nullopt) << "a tombstone stays one";
}

TEST(legacy_message_set, a_compressed_wrapper_gives_its_inner_messages) {
  for (codec c : {codec::gzip, codec::snappy}) {
    std::vector<uint8_t> inner;
    for (int i = 0; i < 3; ++i) put_message(inner, 1, 0, 7000 + i, "k" + std::to_string(i), "v");
    auto packed = compress(c, inner).value();
    std::vector<uint8_t> set;
    put_message(set, 1, static_cast<uint8_t>(c), 7000, std::nullopt,
                std::string(packed.begin(), packed.end()));
    auto batch = upconvert_message_set(set, 1 << 20);
    ASSERT_TRUE(batch.ok()) << codec_name(c) << ": " << legacy_errc_name(batch.error());
    auto recs = records_of(batch.value());
    ASSERT_EQ(recs.size(), 3u) << codec_name(c);
    EXPECT_EQ(recs[2].key, "k2");
    EXPECT_EQ(recs[2].timestamp, 7002);
  }
}

TEST(legacy_message_set, bad_input_is_refused_with_its_reason) {
  std::vector<uint8_t> set;
  put_message(set, 1, 0, 1, "k", "v");
  std::vector<uint8_t> flipped = set;
  flipped.back() ^= 1;
  EXPECT_EQ(upconvert_message_set(flipped, 1 << 20).error(), legacy_errc::bad_crc);
  std::vector<uint8_t> cut(set.begin(), set.end() - 3);
  EXPECT_EQ(upconvert_message_set(cut, 1 << 20).error(), legacy_errc::malformed);
  std::vector<uint8_t> odd;
  put_message(odd, 1, 5, 1, "k", "v");
  EXPECT_EQ(upconvert_message_set(odd, 1 << 20).error(), legacy_errc::unsupported_codec);
  EXPECT_EQ(upconvert_message_set({}, 1 << 20).error(), legacy_errc::empty);
}

}  // namespace
}  // namespace rill::storage
