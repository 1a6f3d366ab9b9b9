// io_completion: what an io_uring CQE's user_data points at.
//
// Every operation submitted on a shard's ring carries a pointer to an
// io_completion that lives until its last CQE (one for single-shot ops, many
// for multishot ones, two for a zero-copy send). user_data 0 marks CQEs
// nobody waits for (cancels, linked timeouts).
#pragma once

#include <cstdint>

namespace rill::runtime {

struct io_completion {
  // Called on the owning shard's thread for each CQE aimed at this object.
  void (*on_cqe)(io_completion* self, int32_t res, uint32_t flags) = nullptr;
};

}  // namespace rill::runtime
