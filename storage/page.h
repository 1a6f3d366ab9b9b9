// The O_DIRECT page: the unit every partition_log write is aligned to.
#pragma once

#include <cstdint>

#include "storage/file_io.h"

namespace rill::storage {

inline constexpr uint64_t k_page = file_io::k_direct_alignment;

inline constexpr uint64_t round_down_page(uint64_t v) {
  return v / k_page * k_page;
}
inline constexpr uint64_t round_up_page(uint64_t v) {
  return round_down_page(v + k_page - 1);
}

}  // namespace rill::storage
