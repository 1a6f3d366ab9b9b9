#include "tuning/tuner.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

namespace rill::tuning {
namespace {

namespace fs = std::filesystem;

// A fake /proc, /sys and /etc under a temporary root.
class fake_root {
 public:
  fake_root() {
    char tmpl[] = "/tmp/rill-tune-XXXXXX";
    root_ = mkdtemp(tmpl);
  }
  ~fake_root() { fs::remove_all(root_); }
  const std::string& path() const { return root_; }
  void put(const std::string& file, const std::string& content) {
    fs::create_directories(fs::path(root_ + file).parent_path());
    std::ofstream(root_ + file) << content << "\n";
  }
  std::string get(const std::string& file) const {
    std::ifstream in(root_ + file);
    std::string s;
    std::getline(in, s);
    return s;
  }

 private:
  std::string root_;
};

std::map<std::string, tune_row> check_all(const system_files& f, const tune_target& t) {
  std::map<std::string, tune_row> rows;
  for (const tuner& k : all_tuners()) rows[k.name] = k.check(f, t);
  return rows;
}

const tuner& find(const std::vector<tuner>& all, const std::string& name) {
  for (const tuner& t : all) {
    if (t.name == name) return t;
  }
  ADD_FAILURE() << "no tuner " << name;
  return all.front();
}

TEST(Tuners, CoverRpksSetAndRillsOwn) {
  std::vector<std::string> want = {"aio_events",
                                   "ballast_file",
                                   "clocksource",
                                   "coredump",
                                   "cpu",
                                   "disk_irq",
                                   "disk_nomerges",
                                   "disk_scheduler",
                                   "disk_write_cache",
                                   "fstrim",
                                   "net",
                                   "swappiness",
                                   "transparent_hugepages",
                                   "io_uring_memlock",
                                   "io_uring_sqpoll",
                                   "hugepages",
                                   "shard_placement"};
  std::vector<tuner> all = all_tuners();
  for (const std::string& n : want) {
    EXPECT_TRUE(std::any_of(all.begin(), all.end(), [&](const tuner& t) { return t.name == n; }))
        << n;
  }
}

TEST(Tuners, AnEmptyTreeIsNotApplicableEverywhere) {
  fake_root root;
  system_files files(root.path());
  for (const auto& [name, row] : check_all(files, {})) {
    EXPECT_NE(row.status, tune_status::would_change) << name;
    EXPECT_FALSE(row.name.empty());
  }
}

TEST(Tuners, SysctlsAreCheckedAppliedAndUndone) {
  fake_root root;
  root.put("/proc/sys/vm/swappiness", "60");
  root.put("/proc/sys/fs/aio-max-nr", "65536");
  system_files files(root.path());
  std::vector<tuner> all = all_tuners();
  const tuner& swappiness = find(all, "swappiness");
  tune_row row = swappiness.check(files, {});
  EXPECT_EQ(row.status, tune_status::would_change);
  EXPECT_EQ(row.current, "60");
  EXPECT_EQ(row.recommended, "1");
  apply_outcome a = swappiness.apply(files, {});
  EXPECT_TRUE(a.changed) << a.error;
  EXPECT_EQ(root.get("/proc/sys/vm/swappiness"), "1");
  EXPECT_EQ(a.undo, "echo '60' > " + root.path() + "/proc/sys/vm/swappiness");
  EXPECT_EQ(swappiness.check(files, {}).status, tune_status::ok);
  EXPECT_EQ(find(all, "aio_events").check(files, {}).status, tune_status::would_change);
  root.put("/proc/sys/fs/aio-max-nr", "2097152");
  EXPECT_EQ(find(all, "aio_events").check(files, {}).status, tune_status::ok);
}

TEST(Tuners, ChoiceFilesReadTheBracketedValue) {
  fake_root root;
  root.put("/sys/kernel/mm/transparent_hugepage/enabled", "[always] madvise never");
  root.put("/sys/block/vda/queue/scheduler", "[mq-deadline] none");
  root.put("/sys/block/vda/queue/nomerges", "0");
  system_files files(root.path());
  std::vector<tuner> all = all_tuners();
  tune_target target{.disk = "vda"};
  tune_row thp = find(all, "transparent_hugepages").check(files, target);
  EXPECT_EQ(thp.current, "always");
  EXPECT_EQ(thp.status, tune_status::would_change);
  const tuner& scheduler = find(all, "disk_scheduler");
  EXPECT_EQ(scheduler.check(files, target).current, "mq-deadline");
  apply_outcome a = scheduler.apply(files, target);
  EXPECT_TRUE(a.changed);
  EXPECT_EQ(root.get("/sys/block/vda/queue/scheduler"), "none");
  EXPECT_NE(a.undo.find("echo 'mq-deadline'"), std::string::npos) << a.undo;
  EXPECT_EQ(scheduler.check(files, target).status, tune_status::ok);
  EXPECT_EQ(find(all, "disk_nomerges").check(files, target).status, tune_status::would_change);
  // Without a disk, the disk tuners say how to name one.
  tune_row none = scheduler.check(files, {});
  EXPECT_EQ(none.status, tune_status::not_applicable);
  EXPECT_NE(none.note.find("--dir"), std::string::npos);
}

TEST(Tuners, ClocksourceNeedsTscOnOffer) {
  fake_root root;
  root.put("/sys/devices/system/clocksource/clocksource0/current_clocksource", "kvm-clock");
  root.put("/sys/devices/system/clocksource/clocksource0/available_clocksource", "kvm-clock");
  system_files files(root.path());
  std::vector<tuner> all = all_tuners();
  const tuner& clock = find(all, "clocksource");
  EXPECT_EQ(clock.check(files, {}).status, tune_status::not_applicable);
  root.put("/sys/devices/system/clocksource/clocksource0/available_clocksource", "tsc kvm-clock");
  EXPECT_EQ(clock.check(files, {}).status, tune_status::would_change);
}

TEST(Tuners, DiskIrqsSpreadOverCpus) {
  fake_root root;
  root.put("/sys/devices/system/cpu/online", "0-1");
  root.put("/proc/interrupts",
           "           CPU0       CPU1\n"
           " 24:        10         0   PCI-MSI 1-edge      virtio1-req.0\n"
           " 25:         5         0   PCI-MSI 2-edge      virtio1-req.1\n"
           " 26:         5         0   PCI-MSI 3-edge      virtio0-input.0\n");
  root.put("/proc/irq/24/smp_affinity_list", "0-1");
  root.put("/proc/irq/25/smp_affinity_list", "0-1");
  system_files files(root.path());
  std::vector<tuner> all = all_tuners();
  const tuner& irq = find(all, "disk_irq");
  tune_row row = irq.check(files, {});
  EXPECT_EQ(row.status, tune_status::would_change);
  EXPECT_EQ(row.recommended, "virtio1-req.0=0 virtio1-req.1=1");
  EXPECT_TRUE(irq.apply(files, {}).changed);
  EXPECT_EQ(root.get("/proc/irq/24/smp_affinity_list"), "0");
  EXPECT_EQ(root.get("/proc/irq/25/smp_affinity_list"), "1");
  EXPECT_EQ(irq.check(files, {}).status, tune_status::ok);
}

TEST(Tuners, NetSteersReceiveQueuesOnPhysicalNicsOnly) {
  fake_root root;
  root.put("/sys/devices/system/cpu/online", "0-1");
  root.put("/sys/class/net/lo/queues/rx-0/rps_cpus", "0");
  root.put("/sys/class/net/eth0/device/vendor", "0x1af4");
  root.put("/sys/class/net/eth0/queues/rx-0/rps_cpus", "0");
  system_files files(root.path());
  std::vector<tuner> all = all_tuners();
  const tuner& net = find(all, "net");
  tune_row row = net.check(files, {});
  EXPECT_EQ(row.status, tune_status::would_change);
  EXPECT_EQ(row.current, "eth0:0");
  EXPECT_TRUE(net.apply(files, {}).changed);
  EXPECT_EQ(root.get("/sys/class/net/eth0/queues/rx-0/rps_cpus"), "3");
  EXPECT_EQ(root.get("/sys/class/net/lo/queues/rx-0/rps_cpus"), "0");
  EXPECT_EQ(net.check(files, {}).status, tune_status::ok);
}

TEST(Tuners, MemlockAndHugepagesDependOnTheSetup) {
  fake_root root;
  root.put("/proc/self/limits",
           "Limit                     Soft Limit           Hard Limit           Units\n"
           "Max locked memory         8388608              8388608              bytes\n");
  root.put("/proc/sys/vm/nr_hugepages", "0");
  system_files files(root.path());
  std::vector<tuner> all = all_tuners();
  // No limits.d directory to write into: not permitted here.
  EXPECT_EQ(find(all, "io_uring_memlock").check(files, {.shards = 2}).status,
            tune_status::not_permitted);
  fs::create_directories(root.path() + "/etc/security/limits.d");
  EXPECT_EQ(find(all, "io_uring_memlock").check(files, {.shards = 2}).status,
            tune_status::would_change);
  EXPECT_TRUE(find(all, "io_uring_memlock").apply(files, {}).changed);
  EXPECT_EQ(root.get("/etc/security/limits.d/99-rill.conf"), "* - memlock unlimited");
  EXPECT_EQ(find(all, "hugepages").check(files, {}).status, tune_status::not_applicable);
  EXPECT_EQ(find(all, "hugepages").check(files, {.dpdk = true}).status, tune_status::would_change);
}

TEST(Tuners, PlacementWantsIsolatedShardCpusAboveTwo) {
  fake_root root;
  root.put("/sys/devices/system/cpu/online", "0-1");
  system_files files(root.path());
  std::vector<tuner> all = all_tuners();
  const tuner& placement = find(all, "shard_placement");
  EXPECT_EQ(placement.check(files, {}).status, tune_status::ok);
  EXPECT_EQ(placement.check(files, {.shards = 4}).status, tune_status::would_change);
  root.put("/sys/devices/system/cpu/online", "0-7");
  tune_row row = placement.check(files, {});
  EXPECT_EQ(row.status, tune_status::would_change);
  EXPECT_NE(row.recommended.find("isolcpus=1-7"), std::string::npos) << row.recommended;
  EXPECT_FALSE(placement.apply(files, {}).changed);  // a reboot applies it
}

TEST(Tuners, CoredumpPatternGoesOutsideTheDataDirectory) {
  fake_root root;
  root.put("/proc/sys/kernel/core_pattern", "core");
  system_files files(root.path());
  std::vector<tuner> all = all_tuners();
  const tuner& core = find(all, "coredump");
  EXPECT_EQ(core.check(files, {}).status, tune_status::would_change);
  EXPECT_TRUE(core.apply(files, {}).changed);
  EXPECT_TRUE(fs::is_directory(root.path() + "/var/lib/rill/coredump"));
  EXPECT_EQ(core.check(files, {}).status, tune_status::ok);
}

TEST(SystemFiles, CpuListsParse) {
  EXPECT_EQ(parse_cpu_list("0-3,5").value(), (std::vector<int>{0, 1, 2, 3, 5}));
  EXPECT_EQ(parse_cpu_list("7").value(), (std::vector<int>{7}));
  EXPECT_FALSE(parse_cpu_list("3-1").has_value());
  EXPECT_FALSE(parse_cpu_list("x").has_value());
  EXPECT_EQ(selected_choice("none [mq-deadline] kyber"), "mq-deadline");
  EXPECT_EQ(selected_choice("write back"), "write back");
}

}  // namespace
}  // namespace rill::tuning
