// Structured logging: one line per event with a UTC timestamp, the level,
// the shard id of the calling thread (or "-" off-shard) and a component.
//
// Thread-safe: each line is formatted on the caller's stack and written
// with a single write(2) to stderr, so lines from shards never interleave.
#pragma once

#include <cstdint>
#include <string_view>

namespace rill {

enum class log_level : uint8_t { trace, debug, info, warn, error };

// Parses "trace|debug|info|warn|error"; returns false on anything else.
bool parse_log_level(std::string_view text, log_level* out);
const char* log_level_name(log_level level);

void set_log_level(log_level level);
log_level current_log_level();

// The shard id printed on lines logged from this thread; -1 prints "-".
void set_log_shard_id(int shard_id);

void log_line(log_level level, const char* component, const char* fmt, ...)
    __attribute__((format(printf, 3, 4)));

}  // namespace rill

#define RILL_LOG(level, component, ...)                                             \
  do {                                                                              \
    if (static_cast<int>(level) >= static_cast<int>(::rill::current_log_level())) { \
      ::rill::log_line(level, component, __VA_ARGS__);                              \
    }                                                                               \
  } while (0)

#define RILL_TRACE(component, ...) RILL_LOG(::rill::log_level::trace, component, __VA_ARGS__)
#define RILL_DEBUG(component, ...) RILL_LOG(::rill::log_level::debug, component, __VA_ARGS__)
#define RILL_INFO(component, ...) RILL_LOG(::rill::log_level::info, component, __VA_ARGS__)
#define RILL_WARN(component, ...) RILL_LOG(::rill::log_level::warn, component, __VA_ARGS__)
#define RILL_ERROR(component, ...) RILL_LOG(::rill::log_level::error, component, __VA_ARGS__)
