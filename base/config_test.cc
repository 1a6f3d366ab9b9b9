#include "base/config.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace rill {
namespace {

config make() {
  return config({{"port", setting_kind::integer, "9092", "port", 1, 65535},
                 {"flush", setting_kind::choice, "fsync", "policy", 0, 0, {"fsync", "interval"}},
                 {"auto", setting_kind::boolean, "true", "auto create"},
                 {"segment.bytes", setting_kind::integer, "1G", "segment size", 1 << 20}});
}

TEST(config, defaults_file_and_overrides_apply_in_that_order) {
  config c = make();
  EXPECT_EQ(c.integer("port"), 9092);
  EXPECT_EQ(c.integer("segment.bytes"), 1LL << 30);
  std::string path = ::testing::TempDir() + "/rill-config-test.properties";
  std::ofstream(path) << "# comment\nport = 9093\nflush=interval\n";
  ASSERT_EQ(c.load_file(path), std::nullopt);
  EXPECT_EQ(c.integer("port"), 9093);
  ASSERT_EQ(c.apply_override("--port=9094"), std::nullopt);
  EXPECT_EQ(c.integer("port"), 9094);
  EXPECT_EQ(c.text("flush"), "interval");
  std::remove(path.c_str());
}

TEST(config, bad_keys_and_values_name_both) {
  config c = make();
  auto e = c.apply_override("--prot=1");
  ASSERT_TRUE(e.has_value());
  EXPECT_NE(e->find("prot"), std::string::npos);
  e = c.apply_override("--port=99999");
  ASSERT_TRUE(e.has_value());
  EXPECT_NE(e->find("99999"), std::string::npos);
  EXPECT_NE(e->find("port"), std::string::npos);
  EXPECT_TRUE(c.apply_override("--auto=yes").has_value());
  EXPECT_TRUE(c.apply_override("--flush=never").has_value());
  EXPECT_TRUE(c.apply_override("port=1").has_value());
}

TEST(parse_integer, one_parser_with_or_without_binary_suffixes) {
  int64_t n = 0;
  EXPECT_TRUE(parse_integer("-42", &n));
  EXPECT_EQ(n, -42);
  EXPECT_TRUE(parse_integer("16MiB", &n));
  EXPECT_EQ(n, 16 << 20);
  EXPECT_FALSE(parse_integer("16MiB", &n, integer_suffixes::none));
  EXPECT_TRUE(parse_integer("9223372036854775807", &n, integer_suffixes::none));
  EXPECT_EQ(n, INT64_MAX);
  EXPECT_FALSE(parse_integer("9223372036854775808", &n));  // overflows int64
  EXPECT_FALSE(parse_integer("9000000000G", &n));          // overflows once scaled
  EXPECT_FALSE(parse_integer("12abc", &n, integer_suffixes::none));
  EXPECT_FALSE(parse_integer("", &n));
  EXPECT_FALSE(parse_integer("k", &n));
}

}  // namespace
}  // namespace rill
