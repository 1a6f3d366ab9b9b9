// Kafka's message formats v0 and v1 (the "message sets" of Produce v0-v2,
// KIP-32), up-converted to one RecordBatch v2 so that the log stores one
// format. A wrapper message compressed with gzip, snappy or lz4 is
// inflated (compression.h) and its inner messages become the batch's
// records. Pure functions, any thread.
//
//   message_set := (offset:int64 size:int32 message)*
//   message     := crc:uint32 magic:int8(0|1) attributes:int8
//                  [timestamp:int64 (magic 1)] key:bytes value:bytes
//   bytes       := length:int32 (-1: null) data
//
// The CRC is CRC-32 (IEEE) over magic..value. Magic 0 carries no timestamp:
// its records get -1 (NO_TIMESTAMP), as Kafka's up-conversion gives them.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "base/result.h"

namespace rill::storage {

enum class legacy_errc : uint8_t {
  ok = 0,
  malformed,           // a length or magic that does not fit
  bad_crc,             // a message's CRC-32 does not match
  unsupported_codec,   // attributes name no codec of format v0/v1
  corrupt_compressed,  // the wrapper's payload does not inflate
  empty,               // no message at all
};
const char* legacy_errc_name(legacy_errc e);

result<std::vector<uint8_t>, legacy_errc> upconvert_message_set(std::span<const uint8_t> set,
                                                                size_t inflated_bytes_max);

}  // namespace rill::storage
