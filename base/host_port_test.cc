#include "base/host_port.h"

#include <gtest/gtest.h>

namespace rill {
namespace {

TEST(host_port, parses_host_and_port) {
  host_port hp;
  ASSERT_TRUE(parse_host_port("10.0.0.5:2379", &hp));
  EXPECT_EQ(hp.host, "10.0.0.5");
  EXPECT_EQ(hp.port, 2379);
  EXPECT_FALSE(parse_host_port("10.0.0.5", &hp));
  EXPECT_FALSE(parse_host_port(":9092", &hp));
  EXPECT_FALSE(parse_host_port("h:", &hp));
  EXPECT_FALSE(parse_host_port("h:0", &hp));
  EXPECT_FALSE(parse_host_port("h:99999", &hp));
  EXPECT_FALSE(parse_host_port("h:12x", &hp));
}

TEST(host_port, lists_parse_whole_or_not_at_all) {
  std::vector<host_port> list;
  ASSERT_TRUE(parse_host_port_list("a:1,b:2", &list));
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[1].host, "b");
  EXPECT_EQ(list[1].port, 2);
  std::vector<host_port> untouched{{"x", 9}};
  EXPECT_FALSE(parse_host_port_list("a:1,,b:2", &untouched));
  EXPECT_FALSE(parse_host_port_list("a:1,b", &untouched));
  EXPECT_FALSE(parse_host_port_list("", &untouched));
  EXPECT_EQ(untouched.size(), 1u);
}

}  // namespace
}  // namespace rill
