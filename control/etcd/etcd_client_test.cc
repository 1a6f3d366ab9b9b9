#include "control/etcd/etcd_client.h"

#include <gtest/gtest.h>

namespace rill::control::etcd {
namespace {

TEST(etcd_client, base64_round_trips_every_length_and_byte) {
  std::string all;
  for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
  for (size_t n = 0; n <= all.size(); n += 7) {
    std::string in = all.substr(0, n);
    auto out = etcd_client::base64_decode(etcd_client::base64_encode(in));
    ASSERT_TRUE(out.has_value()) << n;
    EXPECT_EQ(*out, in) << n;
  }
  EXPECT_EQ(etcd_client::base64_encode("k"), "aw==");
  EXPECT_EQ(etcd_client::base64_encode("1"), "MQ==");
}

TEST(etcd_client, malformed_base64_is_refused) {
  EXPECT_FALSE(etcd_client::base64_decode("abc").has_value());
  EXPECT_FALSE(etcd_client::base64_decode("a*c=").has_value());
}

TEST(etcd_client, endpoints_parse_host_and_port) {
  endpoint e;
  ASSERT_TRUE(parse_host_port("10.0.0.5:2379", &e));
  EXPECT_EQ(e.host, "10.0.0.5");
  EXPECT_EQ(e.port, 2379);
  EXPECT_FALSE(parse_host_port("10.0.0.5", &e));
  EXPECT_FALSE(parse_host_port("h:0", &e));
  EXPECT_FALSE(parse_host_port("h:99999", &e));
  EXPECT_FALSE(parse_host_port("h:12x", &e));
}

TEST(etcd_client, an_unreachable_etcd_is_reported_not_guessed) {
  etcd_client c({"127.0.0.1", 1}, 500);  // nothing listens on port 1
  EXPECT_FALSE(c.grant_lease(2).has_value());
  EXPECT_FALSE(c.get("k").has_value());
  EXPECT_FALSE(c.get_prefix("p/").has_value());
  EXPECT_EQ(c.guarded_write("l", "me", 1, {{"k", "v"}}), guarded_put_result::unreachable);
}

TEST(etcd_client, a_prefix_range_ends_after_its_last_key) {
  EXPECT_EQ(etcd_client::prefix_end("/rill/log/"), "/rill/log0");
  EXPECT_EQ(etcd_client::prefix_end("a\xff"), "b");
  EXPECT_EQ(etcd_client::prefix_end("\xff"), std::string(1, '\0'));
}

}  // namespace
}  // namespace rill::control::etcd
