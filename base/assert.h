// RILL_ASSERT: invariant checks that stay on in every build.
//
// A failed assertion means a bug or a broken invariant: it logs the
// condition, the location and a formatted message, then aborts. Bad input
// from the network or the disk is never asserted on; it is an error value.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace rill {

[[noreturn]] void assert_failed(const char* cond, const char* file, int line, const char* fmt, ...)
    __attribute__((format(printf, 4, 5)));

}  // namespace rill

#define RILL_ASSERT(cond, ...)                                          \
  do {                                                                  \
    if (__builtin_expect(!(cond), 0)) {                                 \
      ::rill::assert_failed(#cond, __FILE__, __LINE__, "" __VA_ARGS__); \
    }                                                                   \
  } while (0)

#define RILL_UNREACHABLE(...) \
  ::rill::assert_failed("unreachable", __FILE__, __LINE__, "" __VA_ARGS__)
