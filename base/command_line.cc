#include "base/command_line.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>

namespace rill {
namespace {

std::optional<int> finish(CLI::App& app, const CLI::ParseError& e) {
  if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
    (void)app.exit(e);  // --help: the usage on stdout
    return 0;
  }
  fprintf(stderr, "%s: %s\nRun with --help for the options.\n", app.get_name().c_str(), e.what());
  return 2;
}

}  // namespace

std::optional<int> parse_command_line(CLI::App& app, const std::vector<std::string>& args) {
  // A command line that starts with a word that is no command of this
  // program: say which word and which commands exist.
  std::vector<CLI::App*> commands = app.get_subcommands([](CLI::App*) { return true; });
  if (!commands.empty() && !args.empty() && !args[0].empty() && args[0][0] != '-') {
    std::string names;
    bool known = false;
    for (CLI::App* c : commands) {
      known = known || c->get_name() == args[0];
      names += (names.empty() ? "" : ", ") + c->get_name();
    }
    if (!known) {
      fprintf(stderr, "%s: unknown command '%s' (commands: %s)\nRun with --help for the options.\n",
              app.get_name().c_str(), args[0].c_str(), names.c_str());
      return 2;
    }
  }
  // CLI11 takes a vector in reverse order and consumes it.
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    return finish(app, e);
  }
  return std::nullopt;
}

std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv) {
  return parse_command_line(app, std::vector<std::string>(argv + std::min(argc, 1), argv + argc));
}

CLI::Validator integer_in(int64_t min, int64_t max) {
  return CLI::Validator(
      [min, max](std::string& value) -> std::string {
        int64_t n = 0;
        if (!parse_integer(value, &n)) return "'" + value + "' is not a number";
        if (n < min || n > max) {
          return "'" + value + "' is out of range [" + std::to_string(min) + ", " +
                 std::to_string(max) + "]";
        }
        value = std::to_string(n);
        return std::string();
      },
      "INTEGER");
}

CLI::Validator number_in(double min, double max) {
  return CLI::Validator(
      [min, max](std::string& value) -> std::string {
        char* end = nullptr;
        double x = std::strtod(value.c_str(), &end);
        if (value.empty() || end == value.c_str() || *end != '\0') {
          return "'" + value + "' is not a number";
        }
        if (x < min || x > max) {
          char bound[64];
          if (max >= 1e300) {
            snprintf(bound, sizeof(bound), "at least %g", min);
          } else {
            snprintf(bound, sizeof(bound), "in [%g, %g]", min, max);
          }
          return "'" + value + "' must be " + bound;
        }
        return std::string();
      },
      "NUMBER");
}

CLI::Option* add_integer_option(CLI::App& app, const std::string& name, int64_t* out,
                                const std::string& help, int64_t min, int64_t max) {
  return app.add_option(name, *out, help)->transform(integer_in(min, max));
}

void add_config_options(CLI::App& app, config& c) {
  // The file first: it is loaded when its option is seen, and the settings'
  // callbacks run after it (CLI11 runs callbacks in the order of the
  // options' definition).
  app.add_option_function<std::string>(
         "--config",
         [&c](const std::string& path) {
           if (auto e = c.load_file(path)) throw CLI::ValidationError("--config", *e);
         },
         "a Kafka-style properties file (key=value lines); options given here win")
      ->type_name("FILE");
  for (const setting& s : c.schema()) {
    std::string key = s.key;
    std::string help =
        s.help + " (default " + (s.default_value.empty() ? "\"\"" : s.default_value) + ")";
    app.add_option_function<std::string>(
           "--" + key,
           [&c, key](const std::string& value) {
             if (auto e = c.set(key, value, "command line"))
               throw CLI::ValidationError("--" + key, *e);
           },
           help)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast)  // the last one wins
        ->type_name(s.kind == setting_kind::integer   ? "INTEGER"
                    : s.kind == setting_kind::boolean ? "BOOL"
                                                      : "TEXT");
  }
}

}  // namespace rill
