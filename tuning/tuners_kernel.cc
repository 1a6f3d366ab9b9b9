// Kernel-wide tuners: aio_events, clocksource, coredump, swappiness,
// transparent_hugepages, io_uring limits (memlock, SQPOLL), hugepages.
#include <sstream>

#include "base/config.h"
#include "tuning/tuner.h"

namespace rill::tuning {
namespace {

// A sysctl that must be at least (or exactly) a value.
tuner minimum_sysctl(std::string name, std::string path, long long want, bool exact,
                     std::string checks, std::string why) {
  auto check = [=](const system_files& f, const tune_target&) {
    std::optional<int64_t> v = read_integer(f, path);
    bool ok = v && (exact ? *v == want : *v >= want);
    tune_row row = file_row(f, name, checks, path, f.read(path),
                            (exact ? "" : ">= ") + std::to_string(want), ok);
    if (row.note.empty()) row.note = why;
    return row;
  };
  auto apply = [=](const system_files& f, const tune_target&) {
    return write_setting(f, path, std::to_string(want), f.read(path).value_or(""));
  };
  return {name, check, apply};
}

// A pseudo-file offering choices, "[selected] other".
tuner choice_file(std::string name, std::string path, std::vector<std::string> good,
                  std::string checks, std::string why) {
  auto check = [=](const system_files& f, const tune_target&) {
    std::optional<std::string> v = f.read(path);
    std::string selected = v ? selected_choice(*v) : "";
    bool ok = false;
    for (const std::string& g : good) ok = ok || selected == g;
    tune_row row = file_row(f, name, checks, path, v ? std::optional(selected) : std::nullopt,
                            good.front(), ok);
    if (row.note.empty()) row.note = why;
    return row;
  };
  auto apply = [=](const system_files& f, const tune_target&) {
    return write_setting(f, path, good.front(), selected_choice(f.read(path).value_or("")));
  };
  return {name, check, apply};
}

tune_row clocksource_row(const system_files& f, const tune_target&) {
  const std::string dir = "/sys/devices/system/clocksource/clocksource0/";
  std::optional<std::string> current = f.read(dir + "current_clocksource");
  std::string available = f.read(dir + "available_clocksource").value_or("");
  bool has_tsc = (" " + available + " ").find(" tsc ") != std::string::npos;
  tune_row row =
      file_row(f, "clocksource", "the kernel's clock source (every timestamp Rill reads)",
               dir + "current_clocksource", current, "tsc", current == "tsc");
  if (row.status != tune_status::ok && current && !has_tsc) {
    row.status = tune_status::not_applicable;
    row.note = "tsc is not offered here (available: " + available + ")";
  } else if (row.note.empty()) {
    row.note = "tsc is read in user space (vDSO); other sources can cost a system call";
  }
  return row;
}

const char* k_core_pattern = "/proc/sys/kernel/core_pattern";
const char* k_core_dir = "/var/lib/rill/coredump";

tune_row coredump_row(const system_files& f, const tune_target&) {
  std::optional<std::string> v = f.read(k_core_pattern);
  // A relative pattern ("core") drops cores into the broker's working
  // directory, often the data disk; a path or a handler (|program) is fine.
  bool ok = v && !v->empty() && ((*v)[0] == '/' || (*v)[0] == '|');
  tune_row row = file_row(f, "coredump", "where core dumps go (kernel.core_pattern)",
                          k_core_pattern, v, std::string(k_core_dir) + "/core.%e.%p.%t", ok);
  if (row.note.empty()) row.note = "a crashed shard leaves a core outside the data directory";
  return row;
}

apply_outcome coredump_apply(const system_files& f, const tune_target&) {
  std::string old = f.read(k_core_pattern).value_or("core");
  std::string mk = "mkdir -p '" + f.under_root(k_core_dir) + "'";
  if (system(mk.c_str()) != 0) return {.error = "cannot create " + f.under_root(k_core_dir)};
  return write_setting(f, k_core_pattern, std::string(k_core_dir) + "/core.%e.%p.%t", old);
}

// "Max locked memory   8388608   8388608   bytes" -> the soft limit.
std::optional<std::string> memlock_limit(const system_files& f) {
  std::optional<std::string> limits = f.read("/proc/self/limits");
  if (!limits) return std::nullopt;
  std::istringstream in(*limits);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Max locked memory", 0) != 0) continue;
    std::istringstream fields(line.substr(17));
    std::string soft;
    fields >> soft;
    return soft;
  }
  return std::nullopt;
}

constexpr long long k_memlock_per_shard = 64LL << 20;
const char* k_limits_file = "/etc/security/limits.d/99-rill.conf";

tune_row memlock_row(const system_files& f, const tune_target& t) {
  std::optional<std::string> soft = memlock_limit(f);
  long long shards = t.shards > 0 ? t.shards : 1;
  long long want = k_memlock_per_shard * shards;
  int64_t bytes = 0;
  bool numeric = soft && parse_integer(*soft, &bytes);
  bool ok = soft && (*soft == "unlimited" || (numeric && bytes >= want));
  tune_row row{.name = "io_uring_memlock",
               .checks = "RLIMIT_MEMLOCK: io_uring registered and provided buffers are pinned",
               .current = soft.value_or("-"),
               .recommended = "unlimited (at least " + std::to_string(want >> 20) + " MiB)"};
  if (!soft) {
    row.status = tune_status::not_applicable;
    row.note = "/proc/self/limits is not readable";
  } else if (ok) {
    row.status = tune_status::ok;
  } else {
    bool can = f.exists("/etc/security/limits.d") && f.writable("/etc/security/limits.d");
    row.status = can ? tune_status::would_change : tune_status::not_permitted;
    row.note = "applies to new sessions; under systemd set LimitMEMLOCK=infinity";
  }
  return row;
}

apply_outcome memlock_apply(const system_files& f, const tune_target&) {
  if (auto err = f.write(k_limits_file, "* - memlock unlimited\n")) return {.error = *err};
  return {.changed = true, .undo = "rm " + f.under_root(k_limits_file)};
}

const char* k_uring_disabled = "/proc/sys/kernel/io_uring_disabled";

tune_row sqpoll_row(const system_files& f, const tune_target&) {
  std::string release = f.read("/proc/sys/kernel/osrelease").value_or("");
  int major = 0, minor = 0;
  sscanf(release.c_str(), "%d.%d", &major, &minor);
  bool new_enough = major > 5 || (major == 5 && minor >= 11);
  std::optional<std::string> disabled = f.read(k_uring_disabled);
  tune_row row{.name = "io_uring_sqpoll",
               .checks =
                   "io_uring allowed (kernel.io_uring_disabled) and SQPOLL unprivileged "
                   "(kernel >= 5.11)",
               .current = "kernel " + release + ", io_uring_disabled=" + disabled.value_or("-"),
               .recommended = "kernel >= 5.11, io_uring_disabled=0"};
  if (!new_enough) {
    row.status = tune_status::not_applicable;
    row.note = "SQPOLL needs CAP_SYS_NICE before 5.11: run the broker with it or without SQPOLL";
  } else if (!disabled || *disabled == "0") {
    row.status = tune_status::ok;
  } else {
    row.status =
        f.writable(k_uring_disabled) ? tune_status::would_change : tune_status::not_permitted;
    row.note = "the broker cannot start while io_uring is disabled";
  }
  return row;
}

apply_outcome sqpoll_apply(const system_files& f, const tune_target&) {
  return write_setting(f, k_uring_disabled, "0", f.read(k_uring_disabled).value_or("0"));
}

const char* k_nr_hugepages = "/proc/sys/vm/nr_hugepages";
constexpr long long k_dpdk_hugepages = 512;  // 1 GiB of 2 MiB pages

tune_row hugepages_row(const system_files& f, const tune_target& t) {
  std::optional<int64_t> n = read_integer(f, k_nr_hugepages);
  tune_row row = file_row(f, "hugepages", "2 MiB huge pages for DPDK's memory (vm.nr_hugepages)",
                          k_nr_hugepages, f.read(k_nr_hugepages),
                          ">= " + std::to_string(k_dpdk_hugepages), n && *n >= k_dpdk_hugepages);
  if (!t.dpdk && row.status != tune_status::ok) {
    row.status = tune_status::not_applicable;
    row.note = "only for replication.transport=dpdk (pass --replication-transport=dpdk)";
  } else if (row.note.empty()) {
    row.note = "DPDK without huge pages runs only with --no-huge, slower";
  }
  return row;
}

apply_outcome hugepages_apply(const system_files& f, const tune_target&) {
  return write_setting(f, k_nr_hugepages, std::to_string(k_dpdk_hugepages),
                       f.read(k_nr_hugepages).value_or("0"));
}

}  // namespace

void add_kernel_tuners(std::vector<tuner>& out) {
  out.push_back(minimum_sysctl("aio_events", "/proc/sys/fs/aio-max-nr", 1048576, false,
                               "Linux AIO events (fs.aio-max-nr)",
                               "Rill uses io_uring, not AIO; Seastar-based neighbours need it"));
  out.push_back({"clocksource", clocksource_row, [](const system_files& f, const tune_target&) {
                   std::string dir = "/sys/devices/system/clocksource/clocksource0/";
                   return write_setting(f, dir + "current_clocksource", "tsc",
                                        f.read(dir + "current_clocksource").value_or(""));
                 }});
  out.push_back({"coredump", coredump_row, coredump_apply});
  out.push_back(minimum_sysctl("swappiness", "/proc/sys/vm/swappiness", 1, true,
                               "how eagerly the kernel swaps (vm.swappiness)",
                               "a swapped-out shard stalls every partition it owns"));
  out.push_back(choice_file("transparent_hugepages", "/sys/kernel/mm/transparent_hugepage/enabled",
                            {"madvise"}, "transparent huge pages",
                            "mimalloc asks for huge pages where it wants them; 'always' adds "
                            "compaction stalls, 'never' TLB misses"));
  out.push_back({"io_uring_memlock", memlock_row, memlock_apply});
  out.push_back({"io_uring_sqpoll", sqpoll_row, sqpoll_apply});
  out.push_back({"hugepages", hugepages_row, hugepages_apply});
}

}  // namespace rill::tuning
