#include "storage/crc32c.h"

#include <cpuid.h>
#include <nmmintrin.h>

#include <array>
#include <cstring>

namespace rill::storage {
namespace {

constexpr uint32_t k_poly_reflected = 0x82F63B78u;

struct slicing_tables {
  uint32_t t[8][256];
};

constexpr slicing_tables make_slicing_tables() {
  slicing_tables s{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ k_poly_reflected : c >> 1;
    s.t[0][i] = c;
  }
  for (uint32_t i = 0; i < 256; ++i) {
    for (int k = 1; k < 8; ++k) s.t[k][i] = (s.t[k - 1][i] >> 8) ^ s.t[0][s.t[k - 1][i] & 0xFF];
  }
  return s;
}

constexpr slicing_tables k_tables = make_slicing_tables();

// Raw CRC update (no pre/post inversion), portable.
uint32_t raw_portable(uint32_t crc, const uint8_t* p, size_t n) {
  while (n >= 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    word ^= crc;
    crc = k_tables.t[7][word & 0xFF] ^ k_tables.t[6][(word >> 8) & 0xFF] ^
          k_tables.t[5][(word >> 16) & 0xFF] ^ k_tables.t[4][(word >> 24) & 0xFF] ^
          k_tables.t[3][(word >> 32) & 0xFF] ^ k_tables.t[2][(word >> 40) & 0xFF] ^
          k_tables.t[1][(word >> 48) & 0xFF] ^ k_tables.t[0][word >> 56];
    p += 8;
    n -= 8;
  }
  while (n-- > 0) crc = (crc >> 8) ^ k_tables.t[0][(crc ^ *p++) & 0xFF];
  return crc;
}

// shift_tables<N>: applies "feed N zero bytes" to a raw CRC with 4 lookups.
template <size_t N>
struct shift_table {
  uint32_t t[4][256];
  shift_table() {
    static const std::array<uint8_t, N> zeros{};
    for (uint32_t k = 0; k < 4; ++k) {
      for (uint32_t v = 0; v < 256; ++v) t[k][v] = raw_portable(v << (8 * k), zeros.data(), N);
    }
  }
  uint32_t apply(uint32_t crc) const {
    return t[0][crc & 0xFF] ^ t[1][(crc >> 8) & 0xFF] ^ t[2][(crc >> 16) & 0xFF] ^ t[3][crc >> 24];
  }
};

constexpr size_t k_long_block = 8192;
constexpr size_t k_short_block = 256;

const shift_table<k_long_block>& long_shift() {
  static const shift_table<k_long_block> table;
  return table;
}
const shift_table<k_short_block>& short_shift() {
  static const shift_table<k_short_block> table;
  return table;
}

// Three independent crc32 streams over consecutive blocks of `block` bytes.
template <size_t Block>
uint64_t hw_three_way(uint64_t crc0, const uint8_t*& p, size_t& n,
                      const shift_table<Block>& shift) {
  while (n >= 3 * Block) {
    uint64_t crc1 = 0, crc2 = 0;
    const uint8_t* a = p;
    const uint8_t* b = p + Block;
    const uint8_t* c = p + 2 * Block;
    for (size_t i = 0; i < Block; i += 8) {
      uint64_t wa, wb, wc;
      std::memcpy(&wa, a + i, 8);
      std::memcpy(&wb, b + i, 8);
      std::memcpy(&wc, c + i, 8);
      crc0 = _mm_crc32_u64(crc0, wa);
      crc1 = _mm_crc32_u64(crc1, wb);
      crc2 = _mm_crc32_u64(crc2, wc);
    }
    crc0 = shift.apply(static_cast<uint32_t>(crc0)) ^ crc1;
    crc0 = shift.apply(static_cast<uint32_t>(crc0)) ^ crc2;
    p += 3 * Block;
    n -= 3 * Block;
  }
  return crc0;
}

uint32_t raw_hardware(uint32_t crc, const uint8_t* p, size_t n) {
  uint64_t c = crc;
  while (n > 0 && (reinterpret_cast<uintptr_t>(p) & 7) != 0) {
    c = _mm_crc32_u8(static_cast<uint32_t>(c), *p++);
    --n;
  }
  c = hw_three_way(c, p, n, long_shift());
  c = hw_three_way(c, p, n, short_shift());
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    c = _mm_crc32_u64(c, w);
    p += 8;
    n -= 8;
  }
  while (n-- > 0) c = _mm_crc32_u8(static_cast<uint32_t>(c), *p++);
  return static_cast<uint32_t>(c);
}

bool detect_sse42() {
  unsigned eax, ebx, ecx, edx;
  if (__get_cpuid(1, &eax, &ebx, &ecx, &edx) == 0) return false;
  return (ecx & bit_SSE4_2) != 0;
}

}  // namespace

bool crc32c_hardware_available() {
  static const bool available = detect_sse42();
  return available;
}

uint32_t crc32c_with(crc32c_impl impl, std::span<const uint8_t> data, uint32_t crc) {
  uint32_t raw = ~crc;
  if (impl == crc32c_impl::hardware && crc32c_hardware_available()) {
    raw = raw_hardware(raw, data.data(), data.size());
  } else {
    raw = raw_portable(raw, data.data(), data.size());
  }
  return ~raw;
}

uint32_t crc32c(std::span<const uint8_t> data, uint32_t crc) {
  return crc32c_with(crc32c_impl::hardware, data, crc);
}

}  // namespace rill::storage
