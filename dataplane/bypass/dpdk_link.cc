#include "dataplane/bypass/dpdk_link.h"

#include <pthread.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <algorithm>
#include <cstring>
#include <map>

#include "base/assert.h"
#include "base/log.h"
#include "dataplane/bypass/segment.h"

namespace rill::bypass {
namespace {

constexpr unsigned k_burst_max = 32;
constexpr int k_transmit_attempts_max = 8;

// An external buffer's shared info plus what keeps the memory alive.
struct external_buffer {
  rte_mbuf_ext_shared_info info{};
  std::shared_ptr<const void> owner;
};

void release_external(void* /*addr*/, void* opaque) {
  delete static_cast<external_buffer*>(opaque);
}

struct port_state {
  uint16_t id = 0;
  std::string name;
  rte_ether_addr mac{};
  bool multi_segment = false;
  std::vector<rte_mbuf*> pending;  // frames waiting for flush()
};

struct peer_state {
  port_state* port = nullptr;
  rte_ether_addr mac{};  // learned; broadcast until then
  bool learned = false;
};

class dpdk_link final : public frame_link {
 public:
  dpdk_link(dpdk_link_options options, rte_mempool* pool) : options_(options), pool_(pool) {}
  ~dpdk_link() override {
    for (auto& [name, port] : ports_) {
      flush_port(*port);
      (void)rte_eth_dev_stop(port->id);
      (void)rte_eth_dev_close(port->id);
    }
  }

  bool open(std::string* error);

  unsigned receive(frame_sink& sink, unsigned burst_max) override;
  bool send(int32_t peer, std::span<const uint8_t> header,
            std::span<const payload_slice> payload) override;
  void flush() override {
    for (auto& [name, port] : ports_) flush_port(*port);
  }
  bool reaches(int32_t peer) const override { return peers_.count(peer) > 0; }
  const link_counters& counters() const override { return counters_; }
  uint32_t segment_bytes_max() const override { return options_.segment_bytes_max; }

 private:
  bool start_port(port_state& port, std::string* error);
  void flush_port(port_state& port);
  bool attach(rte_mbuf* head, const payload_slice& part);

  dpdk_link_options options_;
  rte_mempool* pool_;
  std::map<std::string, std::unique_ptr<port_state>> ports_;
  std::map<int32_t, peer_state> peers_;
  std::vector<uint8_t> scratch_;
  link_counters counters_;
  size_t next_port_ = 0;
};

bool dpdk_link::start_port(port_state& port, std::string* error) {
  rte_eth_dev_info info{};
  if (int rc = rte_eth_dev_info_get(port.id, &info); rc != 0) {
    *error = "cannot read port " + port.name + ": " + rte_strerror(-rc);
    return false;
  }
  rte_eth_conf conf{};
  port.multi_segment = (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS) != 0;
  if (port.multi_segment) conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
  int rc = rte_eth_dev_configure(port.id, 1, 1, &conf);
  if (rc == 0) {
    uint32_t frame = static_cast<uint32_t>(k_ethernet_header_bytes + k_segment_header_bytes +
                                           options_.segment_bytes_max);
    if (frame > RTE_ETHER_MAX_LEN) (void)rte_eth_dev_set_mtu(port.id, static_cast<uint16_t>(frame));
  }
  int socket = rte_eth_dev_socket_id(port.id);
  if (rc == 0)
    rc = rte_eth_rx_queue_setup(port.id, 0, options_.descriptors, socket, nullptr, pool_);
  if (rc == 0) rc = rte_eth_tx_queue_setup(port.id, 0, options_.descriptors, socket, nullptr);
  if (rc == 0) rc = rte_eth_dev_start(port.id);
  if (rc != 0) {
    *error = "cannot start port " + port.name + ": " + rte_strerror(rc < 0 ? -rc : rc);
    return false;
  }
  (void)rte_eth_promiscuous_enable(port.id);
  (void)rte_eth_macaddr_get(port.id, &port.mac);
  RILL_INFO("bypass", "DPDK port %u (%s, driver %s) started; multi-segment send %s", port.id,
            port.name.c_str(), info.driver_name, port.multi_segment ? "on" : "off (copies)");
  return true;
}

bool dpdk_link::open(std::string* error) {
  for (const dpdk_peer_port& p : options_.peers) {
    auto& port = ports_[p.port];
    if (!port) {
      port = std::make_unique<port_state>();
      port->name = p.port;
      if (rte_eth_dev_get_port_by_name(p.port.c_str(), &port->id) != 0) {
        *error = "no DPDK port named " + p.port + " (give it with --vdev in the EAL arguments)";
        return false;
      }
      if (!start_port(*port, error)) return false;
    }
    peer_state& peer = peers_[p.broker];
    peer.port = port.get();
    std::memset(peer.mac.addr_bytes, 0xff, RTE_ETHER_ADDR_LEN);
  }
  return true;
}

unsigned dpdk_link::receive(frame_sink& sink, unsigned burst_max) {
  unsigned total = 0;
  rte_mbuf* frames[k_burst_max];
  for (size_t i = 0; i < ports_.size() && total < burst_max; ++i) {
    auto it = std::next(ports_.begin(), static_cast<std::ptrdiff_t>((next_port_ + i) % ports_.size()));
    port_state& port = *it->second;
    uint16_t n = rte_eth_rx_burst(port.id, 0, frames,
                                  static_cast<uint16_t>(std::min(k_burst_max, burst_max - total)));
    for (uint16_t k = 0; k < n; ++k) {
      rte_mbuf* m = frames[k];
      const auto* eth = rte_pktmbuf_mtod(m, const rte_ether_hdr*);
      if (m->data_len < k_ethernet_header_bytes || eth->ether_type != rte_cpu_to_be_16(k_ether_type)) {
        rte_pktmbuf_free(m);
        continue;
      }
      std::span<const uint8_t> segment;
      if (m->nb_segs == 1) {
        segment = {rte_pktmbuf_mtod(m, const uint8_t*) + k_ethernet_header_bytes,
                   m->data_len - k_ethernet_header_bytes};
      } else {
        scratch_.resize(m->pkt_len);
        const void* at = rte_pktmbuf_read(m, 0, m->pkt_len, scratch_.data());
        counters_.bytes_copied_on_receive += m->pkt_len;
        segment = {static_cast<const uint8_t*>(at) + k_ethernet_header_bytes,
                   m->pkt_len - k_ethernet_header_bytes};
      }
      int32_t from = sink.on_frame(segment);
      auto peer = peers_.find(from);
      if (peer != peers_.end() && peer->second.port == &port && !peer->second.learned) {
        rte_ether_addr_copy(&eth->src_addr, &peer->second.mac);
        peer->second.learned = true;
      }
      rte_pktmbuf_free(m);
    }
    counters_.frames_received += n;
    total += n;
  }
  next_port_ = (next_port_ + 1) % std::max<size_t>(1, ports_.size());
  return total;
}

bool dpdk_link::attach(rte_mbuf* head, const payload_slice& part) {
  rte_mbuf* m = rte_pktmbuf_alloc(pool_);
  if (m == nullptr) return false;
  auto* ext = new external_buffer;
  ext->owner = part.owner;
  ext->info.free_cb = release_external;
  ext->info.fcb_opaque = ext;
  rte_mbuf_ext_refcnt_set(&ext->info, 1);
  void* addr = const_cast<uint8_t*>(part.bytes.data());
  rte_pktmbuf_attach_extbuf(m, addr, reinterpret_cast<rte_iova_t>(addr),
                            static_cast<uint16_t>(part.bytes.size()), &ext->info);
  m->data_len = static_cast<uint16_t>(part.bytes.size());
  m->pkt_len = part.bytes.size();
  if (rte_pktmbuf_chain(head, m) != 0) {
    rte_pktmbuf_free(m);
    return false;
  }
  return true;
}

bool dpdk_link::send(int32_t peer, std::span<const uint8_t> header,
                     std::span<const payload_slice> payload) {
  auto p = peers_.find(peer);
  if (p == peers_.end()) return false;
  port_state& port = *p->second.port;
  rte_mbuf* m = rte_pktmbuf_alloc(pool_);
  if (m == nullptr) {
    ++counters_.frames_dropped_on_send;
    return false;
  }
  auto* out = reinterpret_cast<uint8_t*>(
      rte_pktmbuf_append(m, static_cast<uint16_t>(k_ethernet_header_bytes + header.size())));
  RILL_ASSERT(out != nullptr, "an mbuf without room for the headers");
  auto* eth = reinterpret_cast<rte_ether_hdr*>(out);
  rte_ether_addr_copy(&p->second.mac, &eth->dst_addr);
  rte_ether_addr_copy(&port.mac, &eth->src_addr);
  eth->ether_type = rte_cpu_to_be_16(k_ether_type);
  std::memcpy(out + k_ethernet_header_bytes, header.data(), header.size());
  bool ok = true;
  for (const payload_slice& part : payload) {
    if (port.multi_segment && part.bytes.size() >= options_.copy_below_bytes) {
      ok = attach(m, part);
      if (ok) counters_.payload_bytes_sent_by_reference += part.bytes.size();
    } else {
      char* room = rte_pktmbuf_append(m, static_cast<uint16_t>(part.bytes.size()));
      ok = room != nullptr;
      if (ok) std::memcpy(room, part.bytes.data(), part.bytes.size());
      counters_.payload_bytes_copied_on_send += part.bytes.size();
    }
    if (!ok) break;
  }
  if (!ok) {
    rte_pktmbuf_free(m);
    ++counters_.frames_dropped_on_send;
    return false;
  }
  port.pending.push_back(m);
  if (port.pending.size() >= k_burst_max) flush_port(port);
  return true;
}

void dpdk_link::flush_port(port_state& port) {
  size_t sent = 0;
  for (int attempt = 0; attempt < k_transmit_attempts_max && sent < port.pending.size();
       ++attempt) {
    sent += rte_eth_tx_burst(port.id, 0, port.pending.data() + sent,
                             static_cast<uint16_t>(port.pending.size() - sent));
  }
  counters_.frames_sent += sent;
  for (size_t i = sent; i < port.pending.size(); ++i) {
    rte_pktmbuf_free(port.pending[i]);  // lost, as on a wire: retransmission recovers
    ++counters_.frames_dropped_on_send;
  }
  port.pending.clear();
}

bool init_eal(const std::vector<std::string>& args, std::string* error) {
  static bool initialised = false;
  if (initialised) return true;
  std::vector<std::string> owned = {"rill"};
  owned.insert(owned.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : owned) argv.push_back(a.data());
  cpu_set_t affinity;
  bool saved = pthread_getaffinity_np(pthread_self(), sizeof(affinity), &affinity) == 0;
  int rc = rte_eal_init(static_cast<int>(argv.size()), argv.data());
  if (saved) (void)pthread_setaffinity_np(pthread_self(), sizeof(affinity), &affinity);
  if (rc < 0) {
    *error = std::string("DPDK EAL initialisation failed: ") + rte_strerror(rte_errno);
    return false;
  }
  initialised = true;
  return true;
}

}  // namespace

bool dpdk_available() { return true; }

std::unique_ptr<frame_link> open_dpdk_link(const dpdk_link_options& options, std::string* error) {
  if (options.peers.empty()) {
    *error = "no peer ports given";
    return nullptr;
  }
  if (!init_eal(options.eal_args, error)) return nullptr;
  uint32_t frame = static_cast<uint32_t>(k_ethernet_header_bytes + k_segment_header_bytes +
                                         options.segment_bytes_max);
  auto room = static_cast<uint16_t>(std::max<uint32_t>(RTE_MBUF_DEFAULT_BUF_SIZE,
                                                       frame + RTE_PKTMBUF_HEADROOM));
  rte_mempool* pool = rte_pktmbuf_pool_create("rill_frames", options.mbufs, 256, 0, room,
                                              static_cast<int>(rte_socket_id()));
  if (pool == nullptr) {
    *error = std::string("cannot create the DPDK mbuf pool: ") + rte_strerror(rte_errno);
    return nullptr;
  }
  auto link = std::make_unique<dpdk_link>(options, pool);
  if (!link->open(error)) return nullptr;
  return link;
}

}  // namespace rill::bypass
