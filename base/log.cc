#include "base/log.h"

#include <unistd.h>

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <ctime>

#include "base/assert.h"

namespace rill {
namespace {

std::atomic<log_level> g_level{log_level::info};
thread_local int t_shard_id = -1;
constexpr size_t k_line_bytes_max = 2048;

// Formats "2026-11-21T19:20:00.123456Z" into out (at least 32 bytes).
void format_timestamp(char* out, size_t size) {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  tm parts{};
  gmtime_r(&now.tv_sec, &parts);
  size_t n = strftime(out, size, "%Y-%m-%dT%H:%M:%S", &parts);
  snprintf(out + n, size - n, ".%06ldZ", now.tv_nsec / 1000);
}

void write_all_stderr(const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = write(STDERR_FILENO, data, size);
    if (n <= 0) return;  // Nothing sensible to do when stderr is gone.
    data += n;
    size -= static_cast<size_t>(n);
  }
}

}  // namespace

bool parse_log_level(std::string_view text, log_level* out) {
  static constexpr std::string_view names[] = {"trace", "debug", "info", "warn", "error"};
  for (size_t i = 0; i < std::size(names); ++i) {
    if (text == names[i]) {
      *out = static_cast<log_level>(i);
      return true;
    }
  }
  return false;
}

const char* log_level_name(log_level level) {
  static constexpr const char* names[] = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR"};
  return names[static_cast<int>(level)];
}

void set_log_level(log_level level) {
  g_level.store(level, std::memory_order_relaxed);
}
log_level current_log_level() {
  return g_level.load(std::memory_order_relaxed);
}
void set_log_shard_id(int shard_id) {
  t_shard_id = shard_id;
}

void log_line(log_level level, const char* component, const char* fmt, ...) {
  char line[k_line_bytes_max];
  char stamp[40];
  format_timestamp(stamp, sizeof(stamp));
  char shard[16];
  if (t_shard_id < 0) {
    snprintf(shard, sizeof(shard), "-");
  } else {
    snprintf(shard, sizeof(shard), "%d", t_shard_id);
  }
  int n = snprintf(line, sizeof(line), "%s %-5s shard=%s %s: ", stamp, log_level_name(level), shard,
                   component);
  size_t used = n < 0 ? 0 : static_cast<size_t>(n);
  if (used < sizeof(line)) {
    va_list args;
    va_start(args, fmt);
    int m = vsnprintf(line + used, sizeof(line) - used, fmt, args);
    va_end(args);
    used += m < 0 ? 0 : static_cast<size_t>(m);
  }
  if (used >= sizeof(line) - 1) used = sizeof(line) - 2;
  line[used++] = '\n';
  write_all_stderr(line, used);
}

[[noreturn]] void assert_failed(const char* cond, const char* file, int line, const char* fmt,
                                ...) {
  char message[k_line_bytes_max] = {0};
  va_list args;
  va_start(args, fmt);
  vsnprintf(message, sizeof(message), fmt, args);
  va_end(args);
  log_line(log_level::error, "assert", "%s:%d: assertion `%s` failed: %s", file, line, cond,
           message);
  abort();
}

}  // namespace rill
