// admin_server: the HTTP endpoint operators and orchestrators read: the
// Prometheus text at /metrics, readiness at /ready and liveness at /live.
//
// It runs on a thread of its own (cpp-httplib, one worker), never on a
// shard: a scrape asks the shards for their figures through the runtime's
// external mailbox and waits there, so a slow scrape costs the data path one
// mailbox message per shard and nothing else.
//
// Owned by the process's main thread; stop() (or the destructor) joins the
// thread. The endpoint functions run on that thread and must be safe there.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

namespace httplib {
class Server;
}

namespace rill {

struct admin_endpoints {
  // The Prometheus text, or nullopt when the process cannot answer now (503).
  std::function<std::optional<std::string>()> metrics;
  // Ready to serve traffic (registered, metadata applied, not stopping).
  std::function<bool()> ready;
  // The process's loops still turn.
  std::function<bool()> live;
};

class admin_server {
 public:
  admin_server(std::string host, uint16_t port, admin_endpoints endpoints);
  ~admin_server();
  admin_server(const admin_server&) = delete;
  admin_server& operator=(const admin_server&) = delete;

  // Binds and starts serving; false (logged) when the address is taken.
  [[nodiscard]] bool start();
  void stop();
  uint16_t port() const { return port_; }

 private:
  std::string host_;
  uint16_t port_;
  admin_endpoints endpoints_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
};

}  // namespace rill
