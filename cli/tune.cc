#include "cli/tune.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>

#include "base/command_line.h"
#include "tuning/iotune.h"
#include "tuning/tuner.h"

namespace rill::cli {
namespace {

struct tune_options {
  bool check = false;
  bool apply = false;
  bool json = false;
  std::string root = "/";
  std::string transport = "tcp";
  std::vector<std::string> names;
  tuning::tune_target target;
};

void print_rows(const std::vector<tuning::tune_row>& rows, bool json) {
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : rows) {
      out.push_back({{"name", r.name},
                     {"checks", r.checks},
                     {"current", r.current},
                     {"recommended", r.recommended},
                     {"status", tuning::tune_status_name(r.status)},
                     {"note", r.note}});
    }
    printf("%s\n", out.dump(2).c_str());
    return;
  }
  printf("%-22s %-19s %-34s %s\n", "TUNER", "STATUS", "CURRENT", "RECOMMENDED");
  for (const auto& r : rows) {
    printf("%-22s %-19s %-34s %s\n", r.name.c_str(), tuning::tune_status_name(r.status),
           r.current.c_str(), r.recommended.c_str());
    printf("%-22s   %s%s%s\n", "", r.checks.c_str(), r.note.empty() ? "" : ". ", r.note.c_str());
  }
}

int run(const tune_options& o) {
  tuning::system_files files(o.root);
  std::vector<tuning::tuner> tuners = tuning::all_tuners();
  std::set<std::string> known;
  for (const auto& t : tuners) known.insert(t.name);
  for (const std::string& n : o.names) {
    if (!known.count(n)) {
      fprintf(stderr, "rill tune: no tuner named '%s' (rill tune --check lists them)\n", n.c_str());
      return 2;
    }
  }
  std::vector<tuning::tune_row> rows;
  int failed = 0;
  for (const auto& t : tuners) {
    if (!o.names.empty() && !std::count(o.names.begin(), o.names.end(), t.name)) continue;
    tuning::tune_row row = t.check(files, o.target);
    if (o.apply && row.status == tuning::tune_status::would_change) {
      tuning::apply_outcome a = t.apply(files, o.target);
      if (!a.error.empty()) {
        fprintf(stderr, "%s: not applied: %s\n", t.name.c_str(), a.error.c_str());
        ++failed;
      } else if (a.changed) {
        printf("%s: applied; undo with: %s\n", t.name.c_str(), a.undo.c_str());
        row = t.check(files, o.target);
      }
    }
    rows.push_back(row);
  }
  if (!o.apply || o.json) print_rows(rows, o.json);
  return failed > 0 ? 1 : 0;
}

}  // namespace

int tune_main(const std::vector<std::string>& args) {
  tune_options o;
  CLI::App app(
      "Checks (--check) or applies (--apply) the machine settings Rill's latency and durability "
      "depend on: one row per tuner with its current and recommended value and a status (ok, "
      "would change, not permitted here, not applicable). --apply changes only what is permitted "
      "and prints how to undo each change.",
      "rill tune");
  CLI::Option* check = app.add_flag("--check", o.check, "report, change nothing");
  CLI::Option* apply = app.add_flag("--apply", o.apply, "apply what is permitted");
  check->excludes(apply);
  app.add_option("names", o.names, "tuners to check or apply (default: all)");
  app.add_flag("--json", o.json, "JSON rows");
  app.add_option("--root", o.root, "where /proc, /sys and /etc are (tests use a fake tree)")
      ->capture_default_str();
  app.add_option("--dir", o.target.data_dir, "the broker's data directory (log.dirs)");
  app.add_option("--disk", o.target.disk, "block device to tune (default: the one under --dir)");
  app.add_option("--shards", o.target.shards, "the broker's shards (default: one per CPU)")
      ->transform(integer_in(0, 4096));
  app.add_option("--replication-transport", o.transport, "tcp or dpdk (dpdk wants huge pages)")
      ->check(CLI::IsMember({"tcp", "dpdk"}))
      ->capture_default_str();
  if (auto code = parse_command_line(app, args)) return *code;
  if (!o.check && !o.apply) {
    fprintf(stderr, "rill tune: --check or --apply\n");
    return 2;
  }
  o.target.dpdk = o.transport == "dpdk";
  return run(o);
}

int iotune_main(const std::vector<std::string>& args) {
  tuning::iotune_options o;
  std::string out_path;
  int64_t file_mb = static_cast<int64_t>(o.file_bytes >> 20);
  CLI::App app(
      "Measures a directory's disk with io_uring and O_DIRECT - sequential write and read "
      "bandwidth, random 4 KiB read and write IOPS, write+fdatasync latency - and writes the YAML "
      "profile (Seastar's io-properties fields) that `rill broker --io.profile=FILE` reads.",
      "rill iotune");
  app.add_option("--dir", o.dir, "a directory on the disk to measure (the broker's log.dirs)")
      ->required();
  app.add_option("--out", out_path, "where to write the profile (default: print it)");
  app.add_option("--duration-s", o.duration_s, "seconds over all measurements")
      ->check(CLI::Range(0.5, 3600.0))
      ->capture_default_str();
  app.add_option("--file-mb", file_mb, "size of the scratch file (MiB)")
      ->transform(integer_in(2, 1 << 20))
      ->capture_default_str();
  if (auto code = parse_command_line(app, args)) return *code;
  o.file_bytes = static_cast<uint64_t>(file_mb) << 20;
  fprintf(stderr, "rill iotune: measuring %s for about %.0f s with a %lld MiB file\n",
          o.dir.c_str(), o.duration_s, static_cast<long long>(file_mb));
  tuning::iotune_result r = tuning::run_iotune(o);
  if (!r.error.empty()) {
    fprintf(stderr, "rill iotune: %s\n", r.error.c_str());
    return 1;
  }
  std::string yaml = tuning::io_profile_yaml(r.profile);
  if (out_path.empty()) {
    fputs(yaml.c_str(), stdout);
    return 0;
  }
  FILE* f = fopen(out_path.c_str(), "w");
  if (f == nullptr || fputs(yaml.c_str(), f) < 0 || fclose(f) != 0) {
    fprintf(stderr, "rill iotune: cannot write %s: %s\n", out_path.c_str(), strerror(errno));
    return 1;
  }
  fputs(yaml.c_str(), stdout);
  fprintf(stderr, "rill iotune: wrote %s; start brokers with --io.profile=%s\n", out_path.c_str(),
          out_path.c_str());
  return 0;
}

}  // namespace rill::cli
