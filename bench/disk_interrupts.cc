#include "bench/disk_interrupts.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace rill::bench {
namespace {

namespace fs = std::filesystem;

// The whole disk's sysfs directory for a device number (a partition's
// parent), or empty.
fs::path disk_sysfs_dir(dev_t dev) {
  std::error_code ec;
  fs::path p = fs::canonical(
      "/sys/dev/block/" + std::to_string(major(dev)) + ":" + std::to_string(minor(dev)), ec);
  if (ec) return {};
  if (fs::exists(p / "partition")) p = p.parent_path();
  return p;
}

struct cpu_count {
  int cpu;
  unsigned long long interrupts;
};

// Per-CPU sums of the /proc/interrupts lines whose name starts with
// `driver_device` (e.g. "virtio1-req.0", "nvme0q3").
std::vector<cpu_count> interrupts_per_cpu(const std::string& driver_device) {
  std::ifstream in("/proc/interrupts");
  std::string header;
  std::getline(in, header);
  std::istringstream cpus_line(header);
  std::vector<cpu_count> per_cpu;
  for (std::string word; cpus_line >> word;) {
    if (word.rfind("CPU", 0) == 0) per_cpu.push_back({std::atoi(word.c_str() + 3), 0});
  }
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string irq;
    fields >> irq;
    std::vector<unsigned long long> counts(per_cpu.size());
    for (auto& c : counts) fields >> c;
    std::string word, name;
    while (fields >> word) name = word;  // the last field names the source
    if (name.rfind(driver_device, 0) != 0 || name.find("config") != std::string::npos) continue;
    for (size_t i = 0; i < counts.size(); ++i) per_cpu[i].interrupts += counts[i];
  }
  return per_cpu;
}

}  // namespace

interrupt_placement disk_interrupt_placement(const std::string& dir) {
  interrupt_placement out;
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return out;
  fs::path disk = disk_sysfs_dir(st.st_dev);
  if (disk.empty()) return out;
  std::error_code ec;
  std::string driver_device = fs::canonical(disk / "device", ec).filename().string();
  if (ec || driver_device.empty()) return out;
  out.device = disk.filename().string() + " (" + driver_device + ")";
  unsigned long long best = 0;
  for (const cpu_count& c : interrupts_per_cpu(driver_device)) {
    if (c.interrupts > best) {
      best = c.interrupts;
      out.cpu = c.cpu;
    }
  }
  return out;
}

}  // namespace rill::bench
