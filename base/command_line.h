// command_line: the one way Rill's programs read their arguments, on CLI11
// (Debian's libcli11-dev). Options take `--key=value` and `--key value`
// alike. An unknown option, a missing value or a value that is not what the
// option takes prints one clear message naming both and a hint to --help,
// and the program exits with code 2; --help prints the usage and exit 0.
//
//   CLI::App app("rill topics create: create a topic", "rill topics create");
//   app.add_option("--topic", topic, "topic name")->required();
//   if (auto code = parse_command_line(app, args)) return *code;
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/config.h"

namespace rill {

// Parses args (the arguments after the program and command names). Returns
// nullopt when the program should go on, or the code it should exit with.
std::optional<int> parse_command_line(CLI::App& app, const std::vector<std::string>& args);
std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv);

// A validator for sizes and counts as settings take them (decimal, with an
// optional k/M/G or KiB/MiB/GiB suffix: parse_integer) within [min, max].
CLI::Validator integer_in(int64_t min, int64_t max);
// A validator for real numbers within [min, max] (inclusive), with a message
// that says which.
CLI::Validator number_in(double min, double max = 1e300);
// Adds an integer option read with integer_in().
CLI::Option* add_integer_option(CLI::App& app, const std::string& name, int64_t* out,
                                const std::string& help, int64_t min = INT64_MIN,
                                int64_t max = INT64_MAX);

// Every setting of c's schema as an option `--key` whose value goes through
// c.set() (so the schema checks it), plus `--config FILE`, loaded first
// whatever its place. Options given on the command line win over the file.
void add_config_options(CLI::App& app, config& c);

}  // namespace rill
