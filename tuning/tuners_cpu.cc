// CPU and network tuners: cpu (frequency governor), shard_placement (the
// CPUs Rill's shards are pinned to), net (receive packet steering).
#include <sstream>

#include "tuning/tuner.h"

namespace rill::tuning {
namespace {

std::string governor_path(int cpu) {
  return "/sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/cpufreq/scaling_governor";
}

tune_row cpu_row(const system_files& f, const tune_target&) {
  tune_row row{.name = "cpu",
               .checks = "CPU frequency governor of every online CPU",
               .recommended = "performance"};
  std::vector<std::string> seen;
  bool ok = true, writable = true;
  for (int c : online_cpus(f)) {
    std::optional<std::string> g = f.read(governor_path(c));
    if (!g) continue;
    seen.push_back("cpu" + std::to_string(c) + "=" + *g);
    ok = ok && *g == "performance";
    writable = writable && f.writable(governor_path(c));
  }
  if (seen.empty()) {
    row.current = "-";
    row.status = tune_status::not_applicable;
    row.note = "no cpufreq here (a virtual machine: the host decides)";
    return row;
  }
  for (size_t i = 0; i < seen.size(); ++i) row.current += (i ? " " : "") + seen[i];
  row.status = ok         ? tune_status::ok
               : writable ? tune_status::would_change
                          : tune_status::not_permitted;
  row.note = "a shard that wakes for one request should not wait for its core to clock up";
  return row;
}

apply_outcome cpu_apply(const system_files& f, const tune_target&) {
  apply_outcome out;
  for (int c : online_cpus(f)) {
    std::optional<std::string> g = f.read(governor_path(c));
    if (!g || *g == "performance") continue;
    apply_outcome one = write_setting(f, governor_path(c), "performance", *g);
    if (!one.error.empty()) return one;
    out.changed = true;
    out.undo += (out.undo.empty() ? "" : "; ") + one.undo;
  }
  return out;
}

// Shards pin one thread per CPU (shard i on CPU i); with more than two
// CPUs the kernel's housekeeping and IRQs belong on CPUs no shard uses.
tune_row placement_row(const system_files& f, const tune_target& t) {
  std::vector<int> cpus = online_cpus(f);
  int n = static_cast<int>(cpus.size());
  int shards = t.shards > 0 ? t.shards : n;
  std::string isolated = f.read("/sys/devices/system/cpu/isolated").value_or("");
  tune_row row{.name = "shard_placement",
               .checks = "CPUs for the shards: one each, away from housekeeping and IRQs",
               .current = std::to_string(n) + " CPUs online, " + std::to_string(shards) +
                          " shards, isolated: " + (isolated.empty() ? "none" : isolated)};
  if (shards > n) {
    row.recommended = "--shards=" + std::to_string(n);
    row.status = tune_status::would_change;
    row.note =
        "more shards than CPUs time-share cores; set the broker's shards (not applied "
        "here)";
  } else if (n <= 2) {
    row.recommended = "--shards=" + std::to_string(n) + ", no isolation";
    row.status = tune_status::ok;
    row.note = "with two CPUs or fewer there is none to spare for housekeeping";
  } else {
    std::string shard_cpus = "1-" + std::to_string(n - 1);
    row.recommended = "--shards=" + std::to_string(n - 1) + " on CPUs " + shard_cpus +
                      ", kernel isolcpus=" + shard_cpus + " nohz_full=" + shard_cpus;
    row.status = isolated.empty() ? tune_status::would_change : tune_status::ok;
    row.note = "isolation is a kernel command-line change: --apply prints it, a reboot applies";
  }
  return row;
}

apply_outcome placement_apply(const system_files& f, const tune_target& t) {
  tune_row row = placement_row(f, t);
  return {.error = "manual: " + row.recommended + " (edit GRUB_CMDLINE_LINUX and reboot)"};
}

// Physical NICs: those with a device link (lo, bridges and ifb have none).
std::vector<std::string> nics(const system_files& f) {
  std::vector<std::string> out;
  for (const std::string& n : f.list("/sys/class/net")) {
    if (f.exists("/sys/class/net/" + n + "/device")) out.push_back(n);
  }
  return out;
}

std::string all_cpus_mask(const system_files& f) {
  unsigned long long mask = 0;
  for (int c : online_cpus(f)) {
    if (c < 64) mask |= 1ULL << c;
  }
  std::ostringstream s;
  s << std::hex << mask;
  return s.str();
}

std::vector<std::string> rx_queues(const system_files& f, const std::string& nic) {
  std::vector<std::string> out;
  for (const std::string& q : f.list("/sys/class/net/" + nic + "/queues")) {
    if (q.rfind("rx-", 0) == 0)
      out.push_back("/sys/class/net/" + nic + "/queues/" + q + "/rps_cpus");
  }
  return out;
}

// Masks compare as numbers ("00000003" and "3" are equal).
bool same_mask(const std::string& a, const std::string& b) {
  try {
    return std::stoull(a, nullptr, 16) == std::stoull(b, nullptr, 16);
  } catch (const std::exception&) {
    return false;
  }
}

tune_row net_row(const system_files& f, const tune_target&) {
  tune_row row{.name = "net", .checks = "receive packet steering of each NIC's queues"};
  std::vector<std::string> list = nics(f);
  if (list.empty()) {
    row.current = row.recommended = "-";
    row.status = tune_status::not_applicable;
    row.note = "no physical NIC";
    return row;
  }
  std::string want = all_cpus_mask(f);
  bool ok = true, writable = true;
  for (const std::string& nic : list) {
    for (const std::string& q : rx_queues(f, nic)) {
      std::string cur = f.read(q).value_or("?");
      row.current += (row.current.empty() ? "" : " ") + nic + ":" + cur;
      ok = ok && same_mask(cur, want);
      writable = writable && f.writable(q);
    }
  }
  row.recommended = "rps_cpus=" + want + " on every rx queue";
  row.status = ok         ? tune_status::ok
               : writable ? tune_status::would_change
                          : tune_status::not_permitted;
  row.note = "spreads receive processing over every shard's CPU when the NIC has fewer queues";
  return row;
}

apply_outcome net_apply(const system_files& f, const tune_target&) {
  apply_outcome out;
  std::string want = all_cpus_mask(f);
  for (const std::string& nic : nics(f)) {
    for (const std::string& q : rx_queues(f, nic)) {
      std::string cur = f.read(q).value_or("0");
      if (same_mask(cur, want)) continue;
      apply_outcome one = write_setting(f, q, want, cur);
      if (!one.error.empty()) return one;
      out.changed = true;
      out.undo += (out.undo.empty() ? "" : "; ") + one.undo;
    }
  }
  return out;
}

}  // namespace

void add_cpu_and_net_tuners(std::vector<tuner>& out) {
  out.push_back({"cpu", cpu_row, cpu_apply});
  out.push_back({"shard_placement", placement_row, placement_apply});
  out.push_back({"net", net_row, net_apply});
}

}  // namespace rill::tuning
