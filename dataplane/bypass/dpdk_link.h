// dpdk_link: a frame_link on DPDK ethdev ports: net_memif between broker
// processes on one machine, net_af_packet (or net_af_xdp) on an interface,
// or a real NIC. Built only when libdpdk was found (RILL_WITH_DPDK).
//
// One receive and one transmit queue per port, polled by the endpoint's
// shard. Frames are Ethernet II with EtherType k_ether_type. Each peer
// broker is reached through a named port; its MAC address is learned from
// the first frame it sends (broadcast until then), so a bridge of
// af_packet interfaces needs no MAC configuration.
//
// Sending copies no payload: each large payload part is attached to an mbuf
// as an external buffer that keeps its owner alive until the device is done
// with it (on memif and af_packet the PMD itself copies into shared memory;
// a NIC would DMA from it). Parts under copy_below_bytes are copied into the
// header's mbuf, where a separate descriptor would cost more than the copy.
//
// The EAL is initialised once per process, from open_dpdk_link(), on the
// calling thread; the calling thread's CPU affinity is restored afterwards.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "dataplane/bypass/frame_link.h"

namespace rill::bypass {

struct dpdk_peer_port {
  int32_t broker = -1;
  std::string port;  // the port's name: the vdev name, e.g. net_memif0
};

struct dpdk_link_options {
  std::vector<std::string> eal_args;  // without the program name
  std::vector<dpdk_peer_port> peers;
  uint32_t mbufs = 16384;
  uint16_t descriptors = 1024;
  uint32_t segment_bytes_max = 1448;
  uint32_t copy_below_bytes = 512;
};

// Whether this build has DPDK.
bool dpdk_available();

// Initialises the EAL and starts the ports. On failure returns nullptr and
// sets *error to a sentence saying why.
std::unique_ptr<frame_link> open_dpdk_link(const dpdk_link_options& options, std::string* error);

}  // namespace rill::bypass
