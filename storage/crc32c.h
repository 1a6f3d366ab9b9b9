// CRC-32C (Castagnoli), as Kafka's RecordBatch v2 uses it.
//
// The hardware path uses SSE4.2's crc32 instruction over three interleaved
// streams and joins them with precomputed "append N zero bytes" tables; the
// portable path is slicing-by-8. Both give identical results. Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace rill::storage {

enum class crc32c_impl : uint8_t { hardware, portable };

// CRC-32C of data, continuing from crc (0 to start).
uint32_t crc32c(std::span<const uint8_t> data, uint32_t crc = 0);
uint32_t crc32c_with(crc32c_impl impl, std::span<const uint8_t> data, uint32_t crc = 0);
bool crc32c_hardware_available();

}  // namespace rill::storage
