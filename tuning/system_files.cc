#include "tuning/system_files.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/assert.h"
#include "base/config.h"

namespace rill::tuning {

system_files::system_files(std::string root) : root_(std::move(root)) {
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
  RILL_ASSERT(!root_.empty(), "the root directory is empty");
}

std::string system_files::under_root(const std::string& path) const {
  RILL_ASSERT(!path.empty() && path[0] == '/', "'%s' is not absolute", path.c_str());
  return root_ == "/" ? path : root_ + path;
}

std::optional<std::string> system_files::read(const std::string& path) const {
  std::ifstream in(under_root(path));
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

bool system_files::exists(const std::string& path) const {
  std::error_code ec;
  return std::filesystem::exists(under_root(path), ec);
}

bool system_files::writable(const std::string& path) const {
  return access(under_root(path).c_str(), W_OK) == 0;
}

std::optional<std::string> system_files::write(const std::string& path,
                                               const std::string& value) const {
  std::string full = under_root(path);
  FILE* f = fopen(full.c_str(), "w");
  if (f == nullptr) return full + ": " + strerror(errno);
  bool ok = fwrite(value.data(), 1, value.size(), f) == value.size();
  int err = errno;
  // Pseudo-files report a refused value at close.
  if (fclose(f) != 0 || !ok) return full + ": " + strerror(ok ? errno : err);
  return std::nullopt;
}

std::vector<std::string> system_files::list(const std::string& dir) const {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(under_root(dir), ec)) {
    out.push_back(e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::optional<std::string> system_files::link_target(const std::string& path) const {
  std::error_code ec;
  auto target = std::filesystem::read_symlink(under_root(path), ec);
  if (ec) return std::nullopt;
  return target.string();
}

std::string selected_choice(const std::string& value) {
  size_t open = value.find('[');
  size_t close = value.find(']', open);
  if (open == std::string::npos || close == std::string::npos) return value;
  return value.substr(open + 1, close - open - 1);
}

std::optional<std::vector<int>> parse_cpu_list(const std::string& list) {
  std::vector<int> cpus;
  std::stringstream ss(list);
  std::string part;
  while (std::getline(ss, part, ',')) {
    if (part.empty()) continue;
    size_t dash = part.find('-');
    int64_t lo = 0, hi = 0;
    if (!parse_integer(part.substr(0, dash), &lo) ||
        !parse_integer(dash == std::string::npos ? part : part.substr(dash + 1), &hi) || lo < 0 ||
        hi < lo || hi > 4095) {
      return std::nullopt;
    }
    for (int64_t c = lo; c <= hi; ++c) cpus.push_back(static_cast<int>(c));
  }
  return cpus;
}

std::vector<int> online_cpus(const system_files& files) {
  auto cpus = parse_cpu_list(files.read("/sys/devices/system/cpu/online").value_or("0"));
  return cpus && !cpus->empty() ? *cpus : std::vector<int>{0};
}

std::optional<int64_t> read_integer(const system_files& files, const std::string& path) {
  std::optional<std::string> text = files.read(path);
  int64_t v = 0;
  if (!text || !parse_integer(*text, &v)) return std::nullopt;
  return v;
}

}  // namespace rill::tuning
