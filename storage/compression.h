// The record-batch codecs Kafka producers use: gzip (zlib), snappy (raw, or
// the xerial framing Java clients write), lz4 (the LZ4 frame format) and
// zstd, through Debian's libraries. The log stores batches as producers
// compressed them; these are for the places that must look inside one
// (compaction, keys on compacted topics, time lookups) and for writing a
// compacted batch back with its own codec. Pure functions, any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"

namespace rill::storage {

// The batch attribute's low three bits (record_batch.h compression_mask).
enum class codec : uint8_t { none = 0, gzip = 1, snappy = 2, lz4 = 3, zstd = 4 };
const char* codec_name(codec c);

enum class codec_errc : uint8_t {
  ok = 0,
  unknown_codec,  // attribute bits 5-7: no such codec
  corrupt,        // the library refused the bytes
  too_large,      // the output would pass the caller's bound
};
const char* codec_errc_name(codec_errc e);

// The inflated bytes, at most max_bytes of them (a bound against bombs).
result<std::vector<uint8_t>, codec_errc> decompress(codec c, std::span<const uint8_t> in,
                                                    size_t max_bytes);
result<std::vector<uint8_t>, codec_errc> compress(codec c, std::span<const uint8_t> in);

// An uncompressed copy of a whole, valid batch: the same header with the
// codec bits cleared, then the inflated records (the CRC is not updated:
// the copy is for reading, never stored). The batch itself when it is not
// compressed; nullopt when it cannot be inflated within max_bytes.
std::optional<std::vector<uint8_t>> inflated_batch(std::span<const uint8_t> batch,
                                                   size_t max_bytes);

// A whole, valid batch with its records compressed by target instead (none:
// uncompressed); the header keeps every other field, the CRC is recomputed.
// nullopt when the batch cannot be inflated within max_bytes.
std::optional<std::vector<uint8_t>> recompressed_batch(std::span<const uint8_t> batch, codec target,
                                                       size_t max_bytes);

// compression.type's values: producer (nullopt: keep what producers send),
// uncompressed, gzip, snappy, lz4, zstd. False for any other word.
bool parse_compression_type(const std::string& name, std::optional<codec>* out);

// Bound used by the broker for one inflated batch.
constexpr size_t k_inflated_batch_bytes_max = 256 << 20;

}  // namespace rill::storage
