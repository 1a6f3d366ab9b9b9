// iotune: measures a directory's disk with io_uring and O_DIRECT, as
// Seastar's iotune does, into an io_profile: sequential write and read
// bandwidth (1 MiB, depth 4), random read and write IOPS (4 KiB, depth 32
// and, for writes, depth 1), and the latency of a 4 KiB write + fdatasync
// one at a time (what an acks=all append with log.flush.policy=each pays).
//
// Runs on the calling thread with a ring of its own; writes one scratch
// file of file_bytes in the directory and removes it.
#pragma once

#include <cstdint>
#include <string>

#include "tuning/io_profile.h"

namespace rill::tuning {

struct iotune_options {
  std::string dir;
  double duration_s = 10;  // over all phases; the first write pass may take longer
  uint64_t file_bytes = 256ULL << 20;
};

struct iotune_result {
  io_profile profile;
  std::string error;  // empty on success
};

iotune_result run_iotune(const iotune_options& options);

}  // namespace rill::tuning
