// fio_reference: runs fio (io_uring, O_DIRECT) on a directory and reads its
// JSON, so that benchmarks report ratios to the device's own limits
// measured in the same run.
#pragma once

#include <string>

namespace rill::bench {

struct fio_result {
  bool ok = false;
  double write_mb_per_s = 0;
  double write_p50_us = 0, write_p99_us = 0;
  double sync_p50_us = 0, sync_p99_us = 0;
};

// Sequential writes of block_bytes at iodepth; fdatasync after each write
// when sync_each is set; fio runs on `cpu` unless it is -1.
fio_result run_fio(const std::string& dir, size_t block_bytes, int iodepth, size_t total_bytes,
                   bool sync_each, int cpu);

}  // namespace rill::bench
