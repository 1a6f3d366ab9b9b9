// Monotonic time in nanoseconds, the one clock of the runtime's timers.
#pragma once

#include <cstdint>
#include <ctime>

namespace rill::runtime {

inline uint64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ULL + static_cast<uint64_t>(ts.tv_nsec);
}

constexpr uint64_t k_ns_per_ms = 1'000'000ULL;
constexpr uint64_t k_ns_per_us = 1'000ULL;

}  // namespace rill::runtime
