#include "dataplane/bypass/segment.h"

#include <cstring>

#include "base/assert.h"
#include "base/byte_order.h"
#include "storage/crc32c.h"

namespace rill::bypass {
namespace {

// Offsets inside the header; the CRC field is last.
constexpr size_t k_crc_at = k_segment_header_bytes - 4;

void store_fields(const segment_header& h, uint8_t* p) {
  store_be16(p + 0, k_segment_magic);
  p[2] = k_segment_version;
  p[3] = static_cast<uint8_t>(h.kind);
  store_be32(p + 4, static_cast<uint32_t>(h.source));
  store_be32(p + 8, static_cast<uint32_t>(h.target));
  store_be32(p + 12, h.connection);
  store_be64(p + 16, h.seq);
  store_be64(p + 24, h.ack);
  store_be32(p + 32, h.window);
  store_be16(p + 36, h.payload_bytes);
  p[38] = h.flags;
  p[39] = 0;
  store_be64(p + 40, h.hole_end);
  store_be32(p + k_crc_at, 0);
}

}  // namespace

const char* segment_kind_name(segment_kind kind) {
  switch (kind) {
    case segment_kind::syn:
      return "SYN";
    case segment_kind::syn_ack:
      return "SYN-ACK";
    case segment_kind::data:
      return "DATA";
    case segment_kind::fin:
      return "FIN";
    case segment_kind::reset:
      return "RESET";
    case segment_kind::probe:
      return "PROBE";
  }
  return "?";
}

const char* segment_errc_name(segment_errc e) {
  switch (e) {
    case segment_errc::ok:
      return "ok";
    case segment_errc::short_frame:
      return "frame shorter than a segment header";
    case segment_errc::bad_magic:
      return "bad magic";
    case segment_errc::bad_version:
      return "unknown version";
    case segment_errc::bad_kind:
      return "unknown segment kind";
    case segment_errc::bad_length:
      return "payload length does not match the frame";
    case segment_errc::bad_checksum:
      return "checksum mismatch";
  }
  return "?";
}

void encode_segment_header(const segment_header& h,
                           std::span<const std::span<const uint8_t>> payload, uint8_t* out) {
  size_t total = 0;
  for (auto part : payload) total += part.size();
  RILL_ASSERT(total == h.payload_bytes, "segment says %u payload bytes, parts hold %zu",
              h.payload_bytes, total);
  store_fields(h, out);
  uint32_t crc = storage::crc32c(std::span<const uint8_t>(out, k_segment_header_bytes));
  for (auto part : payload) crc = storage::crc32c(part, crc);
  store_be32(out + k_crc_at, crc);
}

segment_errc decode_segment(std::span<const uint8_t> frame, segment_header* h,
                            std::span<const uint8_t>* payload) {
  if (frame.size() < k_segment_header_bytes) return segment_errc::short_frame;
  const uint8_t* p = frame.data();
  if (load_be16(p) != k_segment_magic) return segment_errc::bad_magic;
  if (p[2] != k_segment_version) return segment_errc::bad_version;
  if (p[3] < static_cast<uint8_t>(segment_kind::syn) ||
      p[3] > static_cast<uint8_t>(segment_kind::probe)) {
    return segment_errc::bad_kind;
  }
  uint16_t length = load_be16(p + 36);
  // Ethernet pads short frames, so the frame may hold more than the segment.
  if (frame.size() < k_segment_header_bytes + length) return segment_errc::bad_length;
  uint8_t header[k_segment_header_bytes];
  std::memcpy(header, p, k_segment_header_bytes);
  store_be32(header + k_crc_at, 0);
  uint32_t crc = storage::crc32c(std::span<const uint8_t>(header, k_segment_header_bytes));
  crc = storage::crc32c(frame.subspan(k_segment_header_bytes, length), crc);
  if (crc != load_be32(p + k_crc_at)) return segment_errc::bad_checksum;
  h->kind = static_cast<segment_kind>(p[3]);
  h->source = static_cast<int32_t>(load_be32(p + 4));
  h->target = static_cast<int32_t>(load_be32(p + 8));
  h->connection = load_be32(p + 12);
  h->seq = load_be64(p + 16);
  h->ack = load_be64(p + 24);
  h->window = load_be32(p + 32);
  h->payload_bytes = length;
  h->flags = p[38];
  h->hole_end = load_be64(p + 40);
  *payload = frame.subspan(k_segment_header_bytes, length);
  return segment_errc::ok;
}

}  // namespace rill::bypass
