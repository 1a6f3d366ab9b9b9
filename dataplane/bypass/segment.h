// segment: the wire format of Rill's user-space replication transport. One
// segment travels in one Ethernet frame, right after the Ethernet header
// (EtherType k_ether_type). docs/formats/bypass_segment.md has the grammar.
//
// Sequence numbers are 64-bit byte offsets in the stream, starting at 0, so
// they never wrap. A FIN takes one sequence number after the last byte, as
// in TCP, so that its acknowledgement is unambiguous. Never renumber.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace rill::bypass {

constexpr uint16_t k_ether_type = 0x88B5;  // IEEE 802 "local experimental 1"
constexpr size_t k_ethernet_header_bytes = 14;
constexpr uint16_t k_segment_magic = 0x524C;  // "RL"
constexpr uint8_t k_segment_version = 1;
constexpr size_t k_segment_header_bytes = 52;

enum class segment_kind : uint8_t {
  syn = 1,      // opens a connection; carries the opener's window
  syn_ack = 2,  // accepts it
  data = 3,     // payload (or none: a pure acknowledgement / window update)
  fin = 4,      // no more data after seq; takes one sequence number
  reset = 5,    // the connection is unknown or aborted
  probe = 6,    // keepalive: asks the peer for an acknowledgement
};
const char* segment_kind_name(segment_kind kind);

// flags
constexpr uint8_t k_flag_gap = 1;  // the sender holds bytes beyond ack: a hole sits at ack
// Sent by the side that opened the connection, so that both brokers may
// open connections with the same id to each other without a clash.
constexpr uint8_t k_flag_from_opener = 2;

struct segment_header {
  segment_kind kind = segment_kind::data;
  uint8_t flags = 0;
  int32_t source = -1;  // broker ids
  int32_t target = -1;
  uint32_t connection = 0;  // chosen by the opener, unique per (opener, peer)
  uint64_t seq = 0;         // offset of the first payload byte (or of the FIN)
  uint64_t ack = 0;         // next byte expected from the peer
  uint32_t window = 0;      // bytes the sender can take beyond ack
  uint16_t payload_bytes = 0;
  // With k_flag_gap: where the bytes the sender holds beyond ack begin, so
  // the hole [ack, hole_end) can be resent at once, whole.
  uint64_t hole_end = 0;
};

// Writes h into out (k_segment_header_bytes) with a CRC-32C covering the
// header and every payload part, in order.
void encode_segment_header(const segment_header& h,
                           std::span<const std::span<const uint8_t>> payload, uint8_t* out);

enum class segment_errc : uint8_t {
  ok,
  short_frame,
  bad_magic,
  bad_version,
  bad_kind,
  bad_length,
  bad_checksum
};
const char* segment_errc_name(segment_errc e);

// Parses a segment (header + payload, no Ethernet header). On ok, *h and
// *payload are set; payload points into frame.
[[nodiscard]] segment_errc decode_segment(std::span<const uint8_t> frame, segment_header* h,
                                          std::span<const uint8_t>* payload);

}  // namespace rill::bypass
