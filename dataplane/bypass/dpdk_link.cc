#include "dataplane/bypass/dpdk_link.h"

#include <pthread.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <thread>

#include "base/assert.h"
#include "base/log.h"
#include "dataplane/bypass/segment.h"

namespace rill::bypass {
namespace {

constexpr unsigned k_burst_max = 32;
// Frames the device did not take wait for the next flush, up to this many;
// past it a frame is dropped (and retransmitted later, as after a loss).
constexpr size_t k_pending_frames_max = 8192;
// At start, how long to wait for the links to come up (peers start at the
// same time); later, how often a down link's port is restarted.
constexpr auto k_link_wait = std::chrono::seconds(5);
constexpr auto k_link_retry = std::chrono::milliseconds(500);

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
  bool up = false;                 // the link is up: the port is polled and sent to
  bool started = false;            // rte_eth_dev_start succeeded (a restart may fail)
  std::chrono::steady_clock::time_point down_since{};
};

struct peer_state {
  port_state* port = nullptr;
  rte_ether_addr mac{};  // learned; broadcast until then
  bool learned = false;
};

class dpdk_link final : public frame_link {
 public:
  dpdk_link(dpdk_link_options options, rte_mempool* pool, rte_mempool* attach_pool)
      : options_(options), pool_(pool), attach_pool_(attach_pool) {}
  ~dpdk_link() override {
    for (auto& [name, port] : ports_) {
      flush_port(*port);
      discard_pending(*port);
      if (port->started) (void)rte_eth_dev_stop(port->id);
      (void)rte_eth_dev_close(port->id);
    }
  }

  bool open(std::string* error);

  unsigned receive(frame_sink& sink, unsigned burst_max) override;
  bool send(int32_t peer, std::span<const uint8_t> header,
            std::span<const payload_slice> payload) override;
  bool flush() override {
    bool waiting = false;
    for (auto& [name, port] : ports_) {
      flush_port(*port);
      waiting = waiting || !port->pending.empty();
    }
    return waiting;
  }
  bool reaches(int32_t peer) const override { return peers_.count(peer) > 0; }
  const link_counters& counters() const override { return counters_; }
  uint32_t segment_bytes_max() const override { return options_.segment_bytes_max; }

 private:
  bool start_port(port_state& port, std::string* error);
  void wait_for_link(port_state& port);
  void restart(port_state& port);
  // Watches the links (every k_link_retry) and restarts ports that are down.
  void maintain();
  void flush_port(port_state& port);
  void discard_pending(port_state& port);
  bool attach(rte_mbuf* head, const payload_slice& part);
  bool copy_in(rte_mbuf* head, std::span<const uint8_t> bytes);

  dpdk_link_options options_;
  rte_mempool* pool_;         // frames: received, and headers (plus small parts) sent
  rte_mempool* attach_pool_;  // data-less mbufs that point at payload sent by reference
  std::map<std::string, std::unique_ptr<port_state>> ports_;
  std::map<int32_t, peer_state> peers_;
  std::vector<uint8_t> scratch_;
  link_counters counters_;
  size_t next_port_ = 0;
  std::chrono::steady_clock::time_point next_check_{};
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
    // The MTU counts what follows the Ethernet header.
    if (frame > RTE_ETHER_MAX_LEN - RTE_ETHER_CRC_LEN) {
      (void)rte_eth_dev_set_mtu(port.id, static_cast<uint16_t>(frame - k_ethernet_header_bytes));
    }
  }
  int socket = rte_eth_dev_socket_id(port.id);
  if (rc == 0)
    rc = rte_eth_rx_queue_setup(port.id, 0, options_.descriptors, socket, nullptr, pool_);
  if (rc == 0) rc = rte_eth_tx_queue_setup(port.id, 0, options_.descriptors, socket, nullptr);
  if (rc != 0) {
    *error = "cannot set up port " + port.name + ": " + rte_strerror(rc < 0 ? -rc : rc);
    return false;
  }
  // A memif client cannot start before its server (a peer broker) listens;
  // wait_for_link() and maintain() keep trying.
  port.started = rte_eth_dev_start(port.id) == 0;
  (void)rte_eth_promiscuous_enable(port.id);
  (void)rte_eth_macaddr_get(port.id, &port.mac);
  RILL_INFO("bypass", "DPDK port %u (%s, driver %s) set up; multi-segment send %s", port.id,
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
  for (auto& [name, port] : ports_) wait_for_link(*port);
  return true;
}

bool link_up(uint16_t port) {
  rte_eth_link link{};
  return rte_eth_link_get_nowait(port, &link) == 0 && link.link_status == RTE_ETH_LINK_UP;
}

void dpdk_link::wait_for_link(port_state& port) {
  auto deadline = std::chrono::steady_clock::now() + k_link_wait;
  while (!link_up(port.id) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(k_link_retry);
    if (!link_up(port.id)) restart(port);
  }
  port.up = port.started && link_up(port.id);
  RILL_INFO("bypass", "DPDK port %s: link %s", port.name.c_str(),
            port.up ? "up" : "down (its peer may start later; retrying in the background)");
}

void dpdk_link::restart(port_state& port) {
  discard_pending(port);
  if (port.started) (void)rte_eth_dev_stop(port.id);
  port.started = rte_eth_dev_start(port.id) == 0;
}

void dpdk_link::maintain() {
  auto now = std::chrono::steady_clock::now();
  if (now < next_check_) return;
  next_check_ = now + k_link_retry;
  for (auto& [name, p] : ports_) {
    port_state& port = *p;
    bool up = port.started && link_up(port.id);
    if (up != port.up) {
      RILL_INFO("bypass", "DPDK port %s: link %s", port.name.c_str(), up ? "up" : "down");
      port.up = up;
      port.down_since = now;
    }
    // A memif client does not reconnect by itself once its server went
    // away (the peer broker restarted): start it again.
    if (!up && now - port.down_since >= k_link_retry) {
      restart(port);
      port.down_since = now;
    }
  }
}

unsigned dpdk_link::receive(frame_sink& sink, unsigned burst_max) {
  maintain();
  unsigned total = 0;
  rte_mbuf* frames[k_burst_max];
  for (size_t i = 0; i < ports_.size() && total < burst_max; ++i) {
    auto it =
        std::next(ports_.begin(), static_cast<std::ptrdiff_t>((next_port_ + i) % ports_.size()));
    port_state& port = *it->second;
    if (!port.up) continue;
    uint16_t n = rte_eth_rx_burst(port.id, 0, frames,
                                  static_cast<uint16_t>(std::min(k_burst_max, burst_max - total)));
    for (uint16_t k = 0; k < n; ++k) {
      rte_mbuf* m = frames[k];
      const auto* eth = rte_pktmbuf_mtod(m, const rte_ether_hdr*);
      if (m->data_len < k_ethernet_header_bytes ||
          eth->ether_type != rte_cpu_to_be_16(k_ether_type)) {
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
  rte_mbuf* m = rte_pktmbuf_alloc(attach_pool_);
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

bool dpdk_link::copy_in(rte_mbuf* head, std::span<const uint8_t> bytes) {
  // Appending writes into the last segment; an attached one has no room of
  // its own, so the copy then goes into a fresh segment.
  rte_mbuf* last = rte_pktmbuf_lastseg(head);
  if (RTE_MBUF_HAS_EXTBUF(last) || rte_pktmbuf_tailroom(last) < bytes.size()) {
    rte_mbuf* m = rte_pktmbuf_alloc(pool_);
    if (m == nullptr) return false;
    if (rte_pktmbuf_chain(head, m) != 0) {
      rte_pktmbuf_free(m);
      return false;
    }
  }
  char* room = rte_pktmbuf_append(head, static_cast<uint16_t>(bytes.size()));
  if (room == nullptr) return false;
  std::memcpy(room, bytes.data(), bytes.size());
  return true;
}

bool dpdk_link::send(int32_t peer, std::span<const uint8_t> header,
                     std::span<const payload_slice> payload) {
  auto p = peers_.find(peer);
  if (p == peers_.end()) return false;
  port_state& port = *p->second.port;
  if (!port.up) {
    ++counters_.frames_dropped_on_send;  // as on a cable that is out
    return false;
  }
  rte_mbuf* m = port.pending.size() < k_pending_frames_max ? rte_pktmbuf_alloc(pool_) : nullptr;
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
      ok = copy_in(m, part.bytes);
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
  if (!port.up) {
    discard_pending(port);
    return;
  }
  size_t sent = 0;
  while (sent < port.pending.size()) {
    uint16_t n = rte_eth_tx_burst(
        port.id, 0, port.pending.data() + sent,
        static_cast<uint16_t>(std::min<size_t>(port.pending.size() - sent, UINT16_MAX)));
    if (n == 0) break;  // the device queue is full: the rest waits for the next flush
    sent += n;
  }
  counters_.frames_sent += sent;
  port.pending.erase(port.pending.begin(),
                     port.pending.begin() + static_cast<std::ptrdiff_t>(sent));
}

void dpdk_link::discard_pending(port_state& port) {
  for (rte_mbuf* m : port.pending) rte_pktmbuf_free(m);
  port.pending.clear();
}

// A memif server's socket file outlives a process that was killed, and the
// restarted broker's memif could not bind it: remove the files of server
// vdevs that nobody listens on any more.
void remove_stale_memif_sockets(const std::vector<std::string>& args) {
  for (const std::string& arg : args) {
    if (arg.rfind("--vdev=net_memif", 0) != 0 || arg.find("role=server") == std::string::npos)
      continue;
    size_t at = arg.find("socket=");
    if (at == std::string::npos) continue;
    std::string path = arg.substr(at + 7, arg.find(',', at) - (at + 7));
    sockaddr_un address{};
    if (path.empty() || path.size() >= sizeof(address.sun_path)) continue;
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, path.c_str(), path.size());
    int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    if (fd < 0) continue;
    bool refused = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 &&
                   errno == ECONNREFUSED;
    close(fd);
    if (refused && unlink(path.c_str()) == 0) {
      RILL_INFO("bypass", "removed the stale memif socket %s (its listener is gone)", path.c_str());
    }
  }
}

bool init_eal(const std::vector<std::string>& args, std::string* error) {
  static bool initialised = false;
  if (initialised) return true;
  remove_stale_memif_sockets(args);
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

bool dpdk_available() {
  return true;
}

std::unique_ptr<frame_link> open_dpdk_link(const dpdk_link_options& options, std::string* error) {
  if (options.peers.empty()) {
    *error = "no peer ports given";
    return nullptr;
  }
  if (!init_eal(options.eal_args, error)) return nullptr;
  uint32_t frame = static_cast<uint32_t>(k_ethernet_header_bytes + k_segment_header_bytes +
                                         options.segment_bytes_max);
  auto room = static_cast<uint16_t>(
      std::max<uint32_t>(RTE_MBUF_DEFAULT_BUF_SIZE, frame + RTE_PKTMBUF_HEADROOM));
  rte_mempool* pool = rte_pktmbuf_pool_create("rill_frames", options.mbufs, 256, 0, room,
                                              static_cast<int>(rte_socket_id()));
  rte_mempool* attach_pool = rte_pktmbuf_pool_create("rill_attach", options.mbufs * 2, 256, 0, 0,
                                                     static_cast<int>(rte_socket_id()));
  if (pool == nullptr || attach_pool == nullptr) {
    *error = std::string("cannot create the DPDK mbuf pools: ") + rte_strerror(rte_errno);
    return nullptr;
  }
  auto link = std::make_unique<dpdk_link>(options, pool, attach_pool);
  if (!link->open(error)) return nullptr;
  return link;
}

}  // namespace rill::bypass
