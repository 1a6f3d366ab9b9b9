// Errors of the partition log: expected failures returned to callers and
// mapped to Kafka error codes at the protocol edge.
#pragma once

#include <cstdint>

namespace rill::storage {

enum class log_errc : uint8_t {
  ok = 0,
  corrupt_batch,        // CORRUPT_MESSAGE
  batch_too_large,      // MESSAGE_TOO_LARGE
  offset_out_of_range,  // OFFSET_OUT_OF_RANGE
  not_contiguous,       // a replicated batch does not start at the log end
  storage_error,        // KAFKA_STORAGE_ERROR: a write failed, nothing acknowledged
  no_space,             // KAFKA_STORAGE_ERROR: the disk is full
  log_offline,          // KAFKA_STORAGE_ERROR: an fsync failed; appends refused
  closed,               // the log is closing
};

const char* log_errc_name(log_errc e);

}  // namespace rill::storage
