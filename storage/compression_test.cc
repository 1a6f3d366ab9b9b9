#include "storage/compression.h"

#include <gtest/gtest.h>

#include <string>

#include "base/byte_order.h"
#include "storage/batch_builder.h"
#include "storage/compaction.h"
#include "storage/crc32c.h"
#include "storage/record_batch.h"
#include "storage/record_reader.h"

namespace rill::storage {
namespace {

constexpr codec k_codecs[] = {codec::gzip, codec::snappy, codec::lz4, codec::zstd};

std::vector<uint8_t> sample_bytes(size_t n) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>((i * 7) % 13 + (i / 1000));
  return v;
}

// A batch as a producer with codec c sends it.
std::vector<uint8_t> compressed_batch(const std::vector<record_spec>& records, codec c) {
  std::vector<uint8_t> plain = build_batch({.base_timestamp_ms = 1000}, records);
  auto packed = compress(c, std::span(plain).subspan(batch_format::header_bytes));
  EXPECT_TRUE(packed.ok());
  std::vector<uint8_t> out(plain.begin(), plain.begin() + batch_format::header_bytes);
  out.insert(out.end(), packed.value().begin(), packed.value().end());
  store_be16(out.data() + batch_format::attributes, static_cast<uint16_t>(c));
  store_be32(out.data() + batch_format::batch_length,
             static_cast<uint32_t>(out.size() - batch_format::length_prefix_bytes));
  store_be32(out.data() + batch_format::crc, crc32c({out.data() + batch_format::attributes,
                                                     out.size() - batch_format::attributes}));
  return out;
}

TEST(compression, every_codec_round_trips) {
  for (codec c : k_codecs) {
    std::vector<uint8_t> in = sample_bytes(300000);
    auto packed = compress(c, in);
    ASSERT_TRUE(packed.ok()) << codec_name(c);
    EXPECT_LT(packed.value().size(), in.size()) << codec_name(c);
    auto back = decompress(c, packed.value(), 1 << 20);
    ASSERT_TRUE(back.ok()) << codec_name(c) << ": " << codec_errc_name(back.error());
    EXPECT_EQ(back.value(), in) << codec_name(c);
  }
}

TEST(compression, java_clients_snappy_framing_is_read) {
  std::vector<uint8_t> in = sample_bytes(5000);
  auto block = compress(codec::snappy, in);
  ASSERT_TRUE(block.ok());
  std::vector<uint8_t> framed = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0, 0, 0, 0, 1, 0, 0, 0, 1};
  for (int i = 0; i < 2; ++i) {  // two blocks
    uint8_t len[4];
    store_be32(len, static_cast<uint32_t>(block.value().size()));
    framed.insert(framed.end(), len, len + 4);
    framed.insert(framed.end(), block.value().begin(), block.value().end());
  }
  auto back = decompress(codec::snappy, framed, 1 << 20);
  ASSERT_TRUE(back.ok());
  ASSERT_EQ(back.value().size(), 2 * in.size());
  EXPECT_TRUE(std::equal(in.begin(), in.end(), back.value().begin()));
}

TEST(compression, corrupt_or_oversized_input_is_refused_not_trusted) {
  for (codec c : k_codecs) {
    std::vector<uint8_t> in = sample_bytes(100000);
    auto packed = compress(c, in).value();
    std::vector<uint8_t> cut(packed.begin(), packed.begin() + static_cast<long>(packed.size() / 2));
    EXPECT_FALSE(decompress(c, cut, 1 << 20).ok()) << codec_name(c) << " cut in half";
    auto bomb = decompress(c, packed, 1000);
    ASSERT_FALSE(bomb.ok()) << codec_name(c);
    EXPECT_EQ(bomb.error(), codec_errc::too_large) << codec_name(c);
  }
  EXPECT_FALSE(decompress(codec::zstd, std::vector<uint8_t>(64, 0xAB), 1 << 20).ok());
}

TEST(compression, compaction_filters_inside_compressed_batches_and_keeps_their_codec) {
  for (codec c : k_codecs) {
    std::vector<uint8_t> batch = compressed_batch(
        {{.key = "a", .value = "1"}, {.key = "b", .value = "2"}, {.key = "a", .value = "3"}}, c);
    size_t size = 0;
    ASSERT_EQ(validate_batch(batch, 1 << 20, count_check::exact, &size), batch_errc::ok);
    filtered_batch f = filter_batch(batch, [](const record_view& r) {
      return !(r.key && std::string(r.key->begin(), r.key->end()) == "a" && r.offset == 0);
    });
    EXPECT_EQ(f.removed, 1) << codec_name(c);
    ASSERT_EQ(validate_batch(f.bytes, 1 << 20, count_check::at_most, &size), batch_errc::ok)
        << codec_name(c);
    batch_view v(f.bytes.data());
    EXPECT_EQ(v.attributes() & batch_format::compression_mask, static_cast<uint16_t>(c));
    EXPECT_EQ(v.records_count(), 2);
    EXPECT_EQ(v.last_offset_delta(), 2) << "offsets never change";
    auto plain = inflated_batch(f.bytes, 1 << 20);
    ASSERT_TRUE(plain) << codec_name(c);
    record_reader records(*plain);
    std::vector<int64_t> offsets;
    while (auto r = records.next()) offsets.push_back(r->offset);
    EXPECT_EQ(offsets, (std::vector<int64_t>{1, 2})) << codec_name(c);
    filtered_batch emptied = filter_batch(batch, [](const record_view&) { return false; });
    batch_view e(emptied.bytes.data());
    EXPECT_EQ(emptied.bytes.size(), batch_format::header_bytes) << codec_name(c);
    EXPECT_EQ(e.attributes() & batch_format::compression_mask, 0) << "no codec on a bare header";
    EXPECT_EQ(e.records_count(), 0);
    EXPECT_EQ(e.last_offset_delta(), 2);
    ASSERT_EQ(validate_batch(emptied.bytes, 1 << 20, count_check::at_most, &size), batch_errc::ok);
  }
}

TEST(compression, a_batch_is_recompressed_with_every_field_but_its_codec_kept) {
  std::vector<record_spec> records = {{.key = "a", .value = std::string(500, 'x')},
                                      {.key = "b", .value = std::nullopt}};
  std::vector<uint8_t> plain = build_batch(
      {.base_timestamp_ms = 1000, .producer_id = 7, .producer_epoch = 1, .base_sequence = 3},
      records);
  for (codec from : {codec::none, codec::gzip, codec::lz4}) {
    std::vector<uint8_t> in = from == codec::none ? plain : compressed_batch(records, from);
    for (codec to : {codec::none, codec::snappy, codec::zstd}) {
      auto out = recompressed_batch(in, to, 1 << 20);
      ASSERT_TRUE(out) << codec_name(from) << " -> " << codec_name(to);
      size_t size = 0;
      ASSERT_EQ(validate_batch(*out, 1 << 20, count_check::exact, &size), batch_errc::ok);
      batch_view v(out->data());
      EXPECT_EQ(v.attributes() & batch_format::compression_mask, static_cast<uint16_t>(to));
      EXPECT_EQ(v.records_count(), 2);
      auto back = inflated_batch(*out, 1 << 20);
      ASSERT_TRUE(back);
      auto want = inflated_batch(in, 1 << 20);
      EXPECT_TRUE(std::equal(back->begin() + batch_format::header_bytes, back->end(),
                             want->begin() + batch_format::header_bytes, want->end()))
          << "the same records";
      if (from == codec::none) {
        EXPECT_EQ(v.producer_id(), 7);
        EXPECT_EQ(v.base_sequence(), 3);
      }
    }
  }
  std::optional<codec> parsed;
  EXPECT_TRUE(parse_compression_type("producer", &parsed));
  EXPECT_FALSE(parsed.has_value());
  EXPECT_TRUE(parse_compression_type("zstd", &parsed));
  EXPECT_EQ(parsed, codec::zstd);
  EXPECT_FALSE(parse_compression_type("brotli", &parsed));
}

}  // namespace
}  // namespace rill::storage
