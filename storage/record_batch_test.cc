#include "storage/record_batch.h"

#include <gtest/gtest.h>

#include "storage/batch_builder.h"

namespace rill::storage {
namespace {

std::vector<uint8_t> sample() {
  return build_batch(
      {.base_timestamp_ms = 1000},
      {{.key = "k1", .value = "v1"}, {.value = std::nullopt, .timestamp_delta_ms = 5}});
}

TEST(record_batch, a_well_formed_batch_validates) {
  auto b = sample();
  size_t size = 0;
  ASSERT_EQ(validate_batch(b, 1 << 20, count_check::exact, &size), batch_errc::ok);
  EXPECT_EQ(size, b.size());
  batch_view v(b.data());
  EXPECT_EQ(v.records_count(), 2);
  EXPECT_EQ(v.last_offset_delta(), 1);
  EXPECT_EQ(v.max_timestamp(), 1005);
}

TEST(record_batch, a_flipped_bit_is_a_crc_mismatch) {
  auto b = sample();
  b[b.size() - 3] ^= 0x10;
  size_t size = 0;
  EXPECT_EQ(validate_batch(b, 1 << 20, count_check::exact, &size), batch_errc::bad_crc);
}

TEST(record_batch, truncated_and_lying_lengths_are_refused) {
  auto b = sample();
  size_t size = 0;
  std::vector<uint8_t> cut(b.begin(), b.end() - 1);
  EXPECT_EQ(validate_batch(cut, 1 << 20, count_check::exact, &size), batch_errc::truncated);
  EXPECT_EQ(validate_batch(std::span(b).first(20), 1 << 20, count_check::exact, &size),
            batch_errc::truncated);
  EXPECT_EQ(validate_batch(b, 10, count_check::exact, &size), batch_errc::bad_length);
  store_be32(b.data() + batch_format::batch_length, 3);
  EXPECT_EQ(validate_batch(b, 1 << 20, count_check::exact, &size), batch_errc::bad_length);
}

TEST(record_batch, old_magic_is_refused) {
  auto b = sample();
  b[batch_format::magic] = 1;
  size_t size = 0;
  EXPECT_EQ(validate_batch(b, 1 << 20, count_check::exact, &size), batch_errc::bad_magic);
}

TEST(record_batch, assigning_offsets_keeps_the_crc_valid) {
  auto b = sample();
  assign_batch_offset(b.data(), 12345, 7);
  size_t size = 0;
  ASSERT_EQ(validate_batch(b, 1 << 20, count_check::exact, &size), batch_errc::ok);
  EXPECT_EQ(batch_view(b.data()).base_offset(), 12345);
  EXPECT_EQ(batch_view(b.data()).leader_epoch(), 7);
}

TEST(record_batch, log_append_time_rewrites_timestamp_and_crc) {
  auto b = sample();
  stamp_log_append_time(b.data(), b.size(), 99999);
  size_t size = 0;
  ASSERT_EQ(validate_batch(b, 1 << 20, count_check::exact, &size), batch_errc::ok);
  batch_view v(b.data());
  EXPECT_EQ(v.max_timestamp(), 99999);
  EXPECT_NE(v.attributes() & batch_format::timestamp_type_log_append, 0);
}

}  // namespace
}  // namespace rill::storage
