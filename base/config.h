// config: typed settings from a properties file (key=value, # comments)
// plus command-line overrides (--key=value), checked against a schema at
// start-up. A bad key or value yields one clear message naming both; the
// programs print it and exit with code 2.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace rill {

enum class setting_kind : uint8_t { integer, boolean, text, choice };

enum class integer_suffixes : uint8_t { binary, none };

// The one integer parser: decimal, overflow-checked; with binary suffixes
// (as settings take them) also a k/K/KiB, m/M/MiB or g/G/GiB suffix
// (powers of 1024). Kafka's topic configs and stored files take plain
// decimal (none). False when the text does not parse.
bool parse_integer(const std::string& text, int64_t* out,
                   integer_suffixes suffixes = integer_suffixes::binary);

struct setting {
  std::string key;
  setting_kind kind;
  std::string default_value;
  std::string help;
  int64_t min = INT64_MIN;
  int64_t max = INT64_MAX;
  std::vector<std::string> choices;  // for choice
};

class config {
 public:
  explicit config(std::vector<setting> schema);

  // Each returns an error message, or nullopt on success.
  std::optional<std::string> load_file(const std::string& path);
  std::optional<std::string> apply_override(const std::string& arg);  // "--key=value"
  std::optional<std::string> set(const std::string& key, const std::string& value,
                                 const std::string& origin);

  int64_t integer(const std::string& key) const;
  bool boolean(const std::string& key) const;
  const std::string& text(const std::string& key) const;
  bool is_set(const std::string& key) const { return values_.count(key) == 1; }

  const std::vector<setting>& schema() const { return schema_; }
  // "key = value" lines of the effective configuration.
  std::string describe() const;

 private:
  const setting* find(const std::string& key) const;
  std::vector<setting> schema_;
  std::map<std::string, std::string> values_;
};

}  // namespace rill
