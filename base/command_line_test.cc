#include "base/command_line.h"

#include <gtest/gtest.h>

namespace rill {
namespace {

struct parsed {
  std::optional<int> code;
  int64_t size = 0;
  std::string name;
};

parsed parse(std::vector<std::string> args) {
  parsed p;
  CLI::App app("test", "test");
  add_integer_option(app, "--size", &p.size, "a size", 1, 1 << 30);
  app.add_option("--name", p.name, "a name");
  p.code = parse_command_line(app, args);
  return p;
}

TEST(command_line, takes_key_equals_value_and_key_space_value) {
  parsed a = parse({"--size=4k", "--name", "x"});
  EXPECT_FALSE(a.code.has_value());
  EXPECT_EQ(a.size, 4096);
  EXPECT_EQ(a.name, "x");
  parsed b = parse({"--size", "12", "--name=y"});
  EXPECT_FALSE(b.code.has_value());
  EXPECT_EQ(b.size, 12);
}

TEST(command_line, refuses_non_numbers_out_of_range_values_and_unknown_options_with_exit_2) {
  EXPECT_EQ(parse({"--size=abc"}).code, 2);
  EXPECT_EQ(parse({"--size=0"}).code, 2);
  EXPECT_EQ(parse({"--size"}).code, 2);
  EXPECT_EQ(parse({"--colour=red"}).code, 2);
}

TEST(command_line, help_exits_0) {
  EXPECT_EQ(parse({"--help"}).code, 0);
}

TEST(command_line, config_options_go_through_the_schema_and_win_over_the_file) {
  config c({{"port", setting_kind::integer, "9092", "port", 1, 65535},
            {"name", setting_kind::text, "a", "name"}});
  CLI::App app("test", "test");
  add_config_options(app, c);
  EXPECT_FALSE(parse_command_line(app, {"--port", "9093", "--name=b", "--port=9094"}).has_value());
  EXPECT_EQ(c.integer("port"), 9094) << "a setting given twice: the last one wins";
  EXPECT_EQ(c.text("name"), "b");
  config d({{"port", setting_kind::integer, "9092", "port", 1, 65535}});
  CLI::App bad("test", "test");
  add_config_options(bad, d);
  EXPECT_EQ(parse_command_line(bad, {"--port=99999"}), 2);
}

}  // namespace
}  // namespace rill
