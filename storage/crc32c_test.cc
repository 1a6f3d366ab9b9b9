#include "storage/crc32c.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace rill::storage {
namespace {

std::span<const uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

TEST(crc32c, matches_the_standard_check_value) {
  EXPECT_EQ(crc32c_with(crc32c_impl::portable, bytes_of("123456789")), 0xE3069283u);
  EXPECT_EQ(crc32c_with(crc32c_impl::hardware, bytes_of("123456789")), 0xE3069283u);
  EXPECT_EQ(crc32c(bytes_of("")), 0u);
}

TEST(crc32c, hardware_and_portable_agree_on_every_length_and_alignment) {
  std::mt19937 rng(7);
  std::vector<uint8_t> data(100000);
  for (auto& b : data) b = static_cast<uint8_t>(rng());
  for (size_t len : {0u, 1u, 7u, 8u, 63u, 255u, 767u, 768u, 769u, 4096u, 24575u, 24576u, 24577u,
                     50000u, 99990u}) {
    for (size_t start : {0u, 1u, 3u, 7u}) {
      std::span<const uint8_t> s(data.data() + start, len);
      ASSERT_EQ(crc32c_with(crc32c_impl::hardware, s), crc32c_with(crc32c_impl::portable, s))
          << "len " << len << " start " << start;
    }
  }
}

TEST(crc32c, can_be_computed_incrementally) {
  std::string a = "hello, ", b = "world";
  uint32_t whole = crc32c(bytes_of(a + b));
  EXPECT_EQ(crc32c(bytes_of(b), crc32c(bytes_of(a))), whole);
}

}  // namespace
}  // namespace rill::storage
