// system_files: the /proc, /sys and /etc files the tuners read and write,
// reached through a root directory ("/" on a real machine, a fake tree in
// tests) so that every tuner runs without privileges against a copy.
//
// Values are read trimmed of the trailing newline; a write replaces the
// whole file as the kernel's pseudo-files expect. Used by one thread.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace rill::tuning {

class system_files {
 public:
  explicit system_files(std::string root);

  const std::string& root() const { return root_; }
  // The path under the root (path is absolute: "/proc/sys/vm/swappiness").
  std::string under_root(const std::string& path) const;

  std::optional<std::string> read(const std::string& path) const;
  bool exists(const std::string& path) const;
  // Whether this process may write the file (the kernel may still refuse).
  bool writable(const std::string& path) const;
  // Replaces the file's content; an error message on failure.
  std::optional<std::string> write(const std::string& path, const std::string& value) const;
  // Names in a directory, sorted; empty when it is missing.
  std::vector<std::string> list(const std::string& dir) const;
  // The target of a symbolic link, or nullopt.
  std::optional<std::string> link_target(const std::string& path) const;

 private:
  std::string root_;
};

// "[none] mq-deadline kyber" -> "none"; a value without brackets as it is.
std::string selected_choice(const std::string& value);
// "0-3,5" -> {0,1,2,3,5}; nullopt when malformed.
std::optional<std::vector<int>> parse_cpu_list(const std::string& list);
// The online CPUs (/sys/devices/system/cpu/online); {0} when unreadable.
std::vector<int> online_cpus(const system_files& files);
// A file's value as an integer; nullopt when missing or not a number.
std::optional<int64_t> read_integer(const system_files& files, const std::string& path);

}  // namespace rill::tuning
