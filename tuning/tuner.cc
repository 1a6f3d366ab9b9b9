#include "tuning/tuner.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "base/assert.h"

namespace rill::tuning {

const char* tune_status_name(tune_status s) {
  switch (s) {
    case tune_status::ok:
      return "ok";
    case tune_status::would_change:
      return "would change";
    case tune_status::not_permitted:
      return "not permitted here";
    case tune_status::not_applicable:
      return "not applicable";
  }
  return "?";
}

std::vector<tuner> all_tuners() {
  std::vector<tuner> out;
  add_kernel_tuners(out);
  add_disk_tuners(out);
  add_cpu_and_net_tuners(out);
  for (const tuner& t : out)
    RILL_ASSERT(t.check && t.apply, "tuner %s is incomplete", t.name.c_str());
  return out;
}

std::optional<std::string> disk_of(const system_files& files, const std::string& dir) {
  struct stat st {};
  if (dir.empty() || stat(dir.c_str(), &st) != 0) return std::nullopt;
  std::string dev =
      "/sys/dev/block/" + std::to_string(major(st.st_dev)) + ":" + std::to_string(minor(st.st_dev));
  std::optional<std::string> target = files.link_target(dev);
  if (!target) return std::nullopt;
  // .../block/vda/vda1 for a partition, .../block/vda for a whole disk.
  std::string path = *target;
  size_t block = path.rfind("/block/");
  if (block == std::string::npos) return std::nullopt;
  std::string rest = path.substr(block + 7);
  return rest.substr(0, rest.find('/'));
}

tune_row file_row(const system_files& files, std::string name, std::string checks,
                  const std::string& path, std::optional<std::string> current,
                  std::string recommended, bool matches) {
  tune_row row{.name = std::move(name), .checks = std::move(checks)};
  row.recommended = std::move(recommended);
  if (!current) {
    row.current = "-";
    row.status = tune_status::not_applicable;
    row.note = path + " does not exist here";
    return row;
  }
  row.current = *current;
  if (matches) {
    row.status = tune_status::ok;
  } else if (files.writable(path)) {
    row.status = tune_status::would_change;
  } else {
    row.status = tune_status::not_permitted;
    row.note = path + " is not writable by this user";
  }
  return row;
}

apply_outcome write_setting(const system_files& files, const std::string& path,
                            const std::string& value, const std::string& old_value) {
  apply_outcome out;
  if (std::optional<std::string> err = files.write(path, value)) {
    out.error = *err;
    return out;
  }
  out.changed = true;
  out.undo = "echo '" + old_value + "' > " + files.under_root(path);
  return out;
}

}  // namespace rill::tuning
