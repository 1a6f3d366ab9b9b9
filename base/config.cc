#include "base/config.h"

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "base/assert.h"

namespace rill {
namespace {

std::string trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t\r");
  size_t b = s.find_last_not_of(" \t\r");
  return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
}

}  // namespace

bool parse_integer(const std::string& v, int64_t* out, integer_suffixes suffixes) {
  if (v.empty()) return false;
  errno = 0;
  char* end = nullptr;
  long long n = std::strtoll(v.c_str(), &end, 10);
  int64_t scale = 1;
  std::string suffix = end;
  if (suffixes == integer_suffixes::binary) {
    if (suffix == "k" || suffix == "K" || suffix == "KiB") scale = 1024;
    if (suffix == "m" || suffix == "M" || suffix == "MiB") scale = 1024 * 1024;
    if (suffix == "g" || suffix == "G" || suffix == "GiB") scale = 1024LL * 1024 * 1024;
  }
  if (errno != 0 || end == v.c_str() || (scale == 1 && !suffix.empty())) return false;
  if (__builtin_mul_overflow(static_cast<int64_t>(n), scale, out)) return false;
  return true;
}

config::config(std::vector<setting> schema) : schema_(std::move(schema)) {
  for (const setting& s : schema_) {
    RILL_ASSERT(set(s.key, s.default_value, "default") == std::nullopt, "bad default for %s",
                s.key.c_str());
  }
  values_.clear();
}

const setting* config::find(const std::string& key) const {
  for (const setting& s : schema_) {
    if (s.key == key) return &s;
  }
  return nullptr;
}

std::optional<std::string> config::set(const std::string& key, const std::string& value,
                                       const std::string& origin) {
  const setting* s = find(key);
  if (s == nullptr) return "unknown setting '" + key + "' (" + origin + ")";
  std::string bad = "invalid value '" + value + "' for '" + key + "' (" + origin + "): ";
  switch (s->kind) {
    case setting_kind::integer: {
      int64_t n = 0;
      if (!parse_integer(value, &n)) return bad + "not an integer";
      if (n < s->min || n > s->max) {
        return bad + "must be in [" + std::to_string(s->min) + ", " + std::to_string(s->max) + "]";
      }
      values_[key] = std::to_string(n);
      return std::nullopt;
    }
    case setting_kind::boolean:
      if (value != "true" && value != "false") return bad + "must be true or false";
      break;
    case setting_kind::choice: {
      bool ok = false;
      std::string all;
      for (const std::string& c : s->choices) {
        ok = ok || c == value;
        all += (all.empty() ? "" : "|") + c;
      }
      if (!ok) return bad + "must be one of " + all;
      break;
    }
    case setting_kind::text:
      break;
  }
  values_[key] = value;
  return std::nullopt;
}

std::optional<std::string> config::load_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return "cannot read config file '" + path + "'";
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    line = trim(line);
    if (line.empty() || line[0] == '#') continue;
    size_t eq = line.find('=');
    std::string origin = path + ":" + std::to_string(n);
    if (eq == std::string::npos) {
      std::string error = "line without '=' (";
      error.append(origin).append("): ").append(line);
      return error;
    }
    if (auto e = set(trim(line.substr(0, eq)), trim(line.substr(eq + 1)), origin)) return e;
  }
  return std::nullopt;
}

std::optional<std::string> config::apply_override(const std::string& arg) {
  if (arg.rfind("--", 0) != 0 || arg.find('=') == std::string::npos) {
    return "unexpected argument '" + arg + "' (overrides look like --key=value)";
  }
  size_t eq = arg.find('=');
  return set(arg.substr(2, eq - 2), arg.substr(eq + 1), "command line");
}

int64_t config::integer(const std::string& key) const {
  const setting* s = find(key);
  RILL_ASSERT(s != nullptr && s->kind == setting_kind::integer, "no integer setting %s",
              key.c_str());
  auto it = values_.find(key);
  int64_t n = 0;
  RILL_ASSERT(parse_integer(it == values_.end() ? s->default_value : it->second, &n));
  return n;
}

bool config::boolean(const std::string& key) const {
  return text(key) == "true";
}

const std::string& config::text(const std::string& key) const {
  const setting* s = find(key);
  RILL_ASSERT(s != nullptr, "no setting %s", key.c_str());
  auto it = values_.find(key);
  return it == values_.end() ? s->default_value : it->second;
}

std::string config::describe() const {
  std::ostringstream out;
  for (const setting& s : schema_) out << s.key << " = " << text(s.key) << "\n";
  return out.str();
}

}  // namespace rill
