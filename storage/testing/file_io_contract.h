// The file_io contract: cases every implementation must pass, run by
// storage/file_io_contract_test.cc (memory, faulty, POSIX) and by
// storage/uring/uring_file_io_test.cc (io_uring). Test-only code.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/task.h"
#include "storage/file_io.h"

namespace rill::storage::testing {

struct contract_case {
  const char* name;
  // dir exists and is empty when the case starts.
  std::function<task<void>(file_io& io, std::string dir)> body;
};

const std::vector<contract_case>& file_io_contract_cases();

// Runs t to completion on this thread; for file_io implementations whose
// tasks never suspend. Returns false if t suspended.
bool run_to_completion(task<void> t);

// A fresh, empty directory on the real file system (not tmpfs, so O_DIRECT
// works), removed by the destructor.
class scratch_dir {
 public:
  scratch_dir();
  ~scratch_dir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace rill::storage::testing

namespace rill::storage::testing {

// Runs t on this thread and returns its value. REQUIRES: t never suspends
// (in-memory I/O).
template <typename T>
T sync_await(task<T> t) {
  std::optional<T> out;
  bool done = run_to_completion([](task<T> inner, std::optional<T>* slot) -> task<void> {
    slot->emplace(co_await std::move(inner));
  }(std::move(t), &out));
  RILL_ASSERT(done && out.has_value(), "task suspended under in-memory I/O");
  return std::move(*out);
}

inline void sync_await(task<void> t) {
  RILL_ASSERT(run_to_completion(std::move(t)), "task suspended under in-memory I/O");
}

}  // namespace rill::storage::testing
