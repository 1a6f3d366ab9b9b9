// The tuners of `rill tune`: each checks one setting of the machine that
// Rill's latency or durability depends on, recommends a value, and can
// apply it (printing how to undo it). Modelled on `rpk redpanda tune`
// (aio_events, ballast_file, clocksource, coredump, cpu, disk_irq,
// disk_nomerges, disk_scheduler, disk_write_cache, fstrim, net, swappiness,
// transparent_hugepages) plus what io_uring, DPDK and thread-per-core
// shards need. Everything goes through system_files, so tests run them on
// a fake /proc and /sys tree.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "tuning/system_files.h"

namespace rill::tuning {

enum class tune_status : uint8_t { ok, would_change, not_permitted, not_applicable };
const char* tune_status_name(tune_status s);

// What the tuners are tuning for.
struct tune_target {
  std::string data_dir;  // the broker's log.dirs; empty: unknown
  std::string disk;      // block device name (vda, nvme0n1); empty: found from data_dir
  int shards = 0;        // the broker's shards; 0: one per online CPU
  bool dpdk = false;     // replication.transport=dpdk
};

struct tune_row {
  std::string name;
  std::string checks;  // what it looks at
  std::string current;
  std::string recommended;
  tune_status status = tune_status::not_applicable;
  std::string note;  // why, or why not applicable
};

struct apply_outcome {
  bool changed = false;
  std::string undo;   // the command that restores the old value
  std::string error;  // empty when applied
};

struct tuner {
  std::string name;
  std::function<tune_row(const system_files&, const tune_target&)> check;
  // Makes the change check() recommends. Called only when check() said
  // would_change.
  std::function<apply_outcome(const system_files&, const tune_target&)> apply;
};

// Every tuner, in the order `rill tune --check` prints them.
std::vector<tuner> all_tuners();

// The block device holding dir ("vda" for /dev/vda1's partition), found
// through /sys/dev/block; nullopt when it cannot be told.
std::optional<std::string> disk_of(const system_files& files, const std::string& dir);

// A row for a file-backed setting: status from current vs recommended and
// whether the file can be written.
tune_row file_row(const system_files& files, std::string name, std::string checks,
                  const std::string& path, std::optional<std::string> current,
                  std::string recommended, bool matches);
// Writes value to path under the root; the undo writes back what was there.
apply_outcome write_setting(const system_files& files, const std::string& path,
                            const std::string& value, const std::string& old_value);

// The tuners by family (tuners_kernel.cc, tuners_disk.cc, tuners_cpu.cc).
void add_kernel_tuners(std::vector<tuner>& out);
void add_disk_tuners(std::vector<tuner>& out);
void add_cpu_and_net_tuners(std::vector<tuner>& out);

}  // namespace rill::tuning
