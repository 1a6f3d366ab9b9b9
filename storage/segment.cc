#include "storage/segment.h"

#include <cstdio>
#include <cstring>

#include "storage/index_format.h"

namespace rill::storage {

std::string segment_path(const std::string& dir, int64_t base_offset, const char* suffix) {
  char name[64];
  snprintf(name, sizeof(name), "%020lld%s", static_cast<long long>(base_offset), suffix);
  return dir + "/" + name;
}

bool parse_segment_file_name(const std::string& name, int64_t* base_offset) {
  const size_t digits = index_format::file_name_digits;
  const std::string suffix = index_format::log_suffix;
  if (name.size() != digits + suffix.size()) return false;
  if (name.compare(digits, suffix.size(), suffix) != 0) return false;
  int64_t v = 0;
  for (size_t i = 0; i < digits; ++i) {
    if (name[i] < '0' || name[i] > '9') return false;
    v = v * 10 + (name[i] - '0');
  }
  *base_offset = v;
  return true;
}

}  // namespace rill::storage
