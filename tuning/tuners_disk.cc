// Disk tuners for the device under the data directory: ballast_file,
// disk_irq, disk_nomerges, disk_scheduler, disk_write_cache, fstrim.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>

#include "tuning/tuner.h"

namespace rill::tuning {
namespace {

constexpr long long k_ballast_bytes = 1LL << 30;

std::optional<std::string> target_disk(const system_files& f, const tune_target& t) {
  if (!t.disk.empty()) return t.disk;
  return disk_of(f, t.data_dir);
}

tune_row no_disk(std::string name, std::string checks) {
  return {.name = std::move(name),
          .checks = std::move(checks),
          .current = "-",
          .recommended = "-",
          .status = tune_status::not_applicable,
          .note = "no disk: pass --dir=DATA_DIR (or --disk=NAME)"};
}

// A file of /sys/block/<disk>/queue with a wanted value.
tuner queue_setting(std::string name, std::string file, std::string want, std::string checks,
                    std::string why) {
  auto check = [=](const system_files& f, const tune_target& t) {
    std::optional<std::string> disk = target_disk(f, t);
    if (!disk) return no_disk(name, checks);
    std::string path = "/sys/block/" + *disk + "/queue/" + file;
    std::optional<std::string> v = f.read(path);
    std::optional<std::string> shown = v ? std::optional(selected_choice(*v)) : std::nullopt;
    tune_row row = file_row(f, name, checks + " of " + *disk, path, shown, want, shown == want);
    if (row.note.empty()) row.note = why;
    return row;
  };
  auto apply = [=](const system_files& f, const tune_target& t) {
    std::string path = "/sys/block/" + target_disk(f, t).value_or("?") + "/queue/" + file;
    return write_setting(f, path, want, selected_choice(f.read(path).value_or("")));
  };
  return {name, check, apply};
}

std::string ballast_path(const tune_target& t) {
  return t.data_dir + "/rill.ballast";
}

tune_row ballast_row(const system_files& f, const tune_target& t) {
  tune_row row{.name = "ballast_file",
               .checks = "a file to delete when the disk fills, to win back room",
               .recommended = std::to_string(k_ballast_bytes >> 20) + " MiB"};
  if (t.data_dir.empty()) {
    row.current = "-";
    row.status = tune_status::not_applicable;
    row.note = "pass --dir=DATA_DIR";
    return row;
  }
  struct stat st {};
  bool have = stat(ballast_path(t).c_str(), &st) == 0;
  row.current = have ? std::to_string(st.st_size >> 20) + " MiB" : "none";
  if (have && st.st_size >= k_ballast_bytes) {
    row.status = tune_status::ok;
  } else {
    row.status = access(t.data_dir.c_str(), W_OK) == 0 ? tune_status::would_change
                                                       : tune_status::not_permitted;
    row.note = "the broker refuses writes on a full disk; deleting " + ballast_path(t) +
               " frees room to recover";
  }
  return row;
}

apply_outcome ballast_apply(const system_files&, const tune_target& t) {
  std::string path = ballast_path(t);
  int fd = open(path.c_str(), O_WRONLY | O_CREAT, 0600);
  if (fd < 0) return {.error = path + ": " + strerror(errno)};
  int rc = posix_fallocate(fd, 0, k_ballast_bytes);
  close(fd);
  if (rc != 0) return {.error = path + ": " + strerror(rc)};
  return {.changed = true, .undo = "rm " + path};
}

// The IRQ numbers whose /proc/interrupts line names a block driver's queue.
std::vector<std::pair<int, std::string>> disk_irqs(const system_files& f) {
  std::vector<std::pair<int, std::string>> out;
  std::istringstream in(f.read("/proc/interrupts").value_or(""));
  std::string line;
  while (std::getline(in, line)) {
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    int irq = 0;
    if (sscanf(line.c_str(), " %d:", &irq) != 1) continue;
    std::string name = line.substr(line.find_last_of(' ') + 1);
    bool disk = name.rfind("nvme", 0) == 0 || name.find("-req.") != std::string::npos ||
                name.find("ahci") != std::string::npos || name.find("blk") != std::string::npos;
    if (disk) out.emplace_back(irq, name);
  }
  return out;
}

// IRQ i goes to CPU i mod n: queues spread, none piled on one shard.
tune_row disk_irq_row(const system_files& f, const tune_target&) {
  auto irqs = disk_irqs(f);
  tune_row row{.name = "disk_irq", .checks = "CPU affinity of the disk's interrupt queues"};
  if (irqs.empty()) {
    row.current = row.recommended = "-";
    row.status = tune_status::not_applicable;
    row.note = "no disk interrupt queues in /proc/interrupts";
    return row;
  }
  int cpus = static_cast<int>(online_cpus(f).size());
  bool ok = true, writable = true;
  for (size_t i = 0; i < irqs.size(); ++i) {
    std::string path = "/proc/irq/" + std::to_string(irqs[i].first) + "/smp_affinity_list";
    std::string cur = f.read(path).value_or("?");
    std::string want = std::to_string(static_cast<int>(i) % cpus);
    row.current += (i ? " " : "") + irqs[i].second + "=" + cur;
    row.recommended += (i ? " " : "") + irqs[i].second + "=" + want;
    ok = ok && cur == want;
    writable = writable && f.writable(path);
  }
  row.status = ok         ? tune_status::ok
               : writable ? tune_status::would_change
                          : tune_status::not_permitted;
  row.note = "one queue per CPU; stop irqbalance or it moves them back";
  return row;
}

apply_outcome disk_irq_apply(const system_files& f, const tune_target&) {
  auto irqs = disk_irqs(f);
  int cpus = static_cast<int>(online_cpus(f).size());
  apply_outcome out;
  for (size_t i = 0; i < irqs.size(); ++i) {
    std::string path = "/proc/irq/" + std::to_string(irqs[i].first) + "/smp_affinity_list";
    apply_outcome one = write_setting(f, path, std::to_string(static_cast<int>(i) % cpus),
                                      f.read(path).value_or(""));
    if (!one.error.empty()) return one;
    out.changed = true;
    out.undo += (out.undo.empty() ? "" : "; ") + one.undo;
  }
  return out;
}

tune_row write_cache_row(const system_files& f, const tune_target& t) {
  const char* checks = "the device's volatile write cache";
  std::optional<std::string> disk = target_disk(f, t);
  if (!disk) return no_disk("disk_write_cache", checks);
  std::string path = "/sys/block/" + *disk + "/queue/write_cache";
  std::optional<std::string> v = f.read(path);
  // Rill fdatasyncs what it acknowledges as durable, which flushes a
  // write-back cache; "write through" helps only devices with power-loss
  // protection whose flushes are slow (GCP local NVMe: rpk sets it there).
  tune_row row = file_row(f, "disk_write_cache", std::string(checks) + " of " + *disk, path, v,
                          v.value_or("write back"), true);
  row.note =
      "kept: Rill's fdatasync flushes it; 'write through' only with power-loss protection "
      "(compare rill iotune's fsync latency)";
  return row;
}

const char* k_fstrim_link = "/etc/systemd/system/timers.target.wants/fstrim.timer";
const char* k_fstrim_unit = "/lib/systemd/system/fstrim.timer";

tune_row fstrim_row(const system_files& f, const tune_target& t) {
  tune_row row{.name = "fstrim",
               .checks = "weekly TRIM of free blocks (systemd fstrim.timer)",
               .recommended = "enabled"};
  std::optional<std::string> disk = target_disk(f, t);
  std::string discard =
      disk ? f.read("/sys/block/" + *disk + "/queue/discard_max_bytes").value_or("0") : "0";
  bool enabled = f.exists(k_fstrim_link);
  row.current = enabled ? "enabled" : "disabled";
  if (enabled) {
    row.status = tune_status::ok;
  } else if (discard == "0" || !f.exists(k_fstrim_unit)) {
    row.status = tune_status::not_applicable;
    row.note = discard == "0" ? "the disk does not take TRIM" : "no fstrim.timer unit here";
  } else {
    row.status =
        f.writable("/etc/systemd/system") ? tune_status::would_change : tune_status::not_permitted;
    row.note = "SSDs keep write latency steady when told which blocks are free";
  }
  return row;
}

apply_outcome fstrim_apply(const system_files& f, const tune_target&) {
  std::string link = f.under_root(k_fstrim_link);
  std::string mk = "mkdir -p '" + link.substr(0, link.rfind('/')) + "'";
  if (system(mk.c_str()) != 0 || symlink(k_fstrim_unit, link.c_str()) != 0) {
    return {.error = link + ": " + strerror(errno)};
  }
  return {.changed = true, .undo = "rm " + link};
}

}  // namespace

void add_disk_tuners(std::vector<tuner>& out) {
  out.push_back({"ballast_file", ballast_row, ballast_apply});
  out.push_back({"disk_irq", disk_irq_row, disk_irq_apply});
  out.push_back(queue_setting("disk_nomerges", "nomerges", "2", "request merging",
                              "Rill submits whole batches; merge lookups only add latency"));
  out.push_back(queue_setting("disk_scheduler", "scheduler", "none", "I/O scheduler",
                              "an append log on SSD/virtual disks gains nothing from reordering"));
  out.push_back({"disk_write_cache", write_cache_row,
                 [](const system_files&, const tune_target&) { return apply_outcome{}; }});
  out.push_back({"fstrim", fstrim_row, fstrim_apply});
}

}  // namespace rill::tuning
