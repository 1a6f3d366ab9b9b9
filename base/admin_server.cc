#include "base/admin_server.h"

#include <httplib.h>
#include <sys/socket.h>

#include <chrono>
#include <thread>

#include "base/assert.h"
#include "base/log.h"

namespace rill {

namespace {
// Scrapes are rare and small: one worker serves them one at a time.
constexpr size_t k_admin_workers = 1;
constexpr int k_start_wait_polls = 5000;  // of 1 ms
constexpr const char* k_prometheus_content_type = "text/plain; version=0.0.4; charset=utf-8";
}  // namespace

admin_server::admin_server(std::string host, uint16_t port, admin_endpoints endpoints)
    : host_(std::move(host)), port_(port), endpoints_(std::move(endpoints)) {
  RILL_ASSERT(endpoints_.metrics && endpoints_.ready && endpoints_.live,
              "every admin endpoint needs a function");
}

admin_server::~admin_server() {
  stop();
}

bool admin_server::start() {
  RILL_ASSERT(!server_, "admin server started twice");
  server_ = std::make_unique<httplib::Server>();
  server_->new_task_queue = [] { return new httplib::ThreadPool(k_admin_workers); };
  // cpp-httplib's default adds SO_REUSEPORT, which would let a second
  // process share the port silently; a taken port must fail the start.
  server_->set_socket_options([](int sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    std::optional<std::string> text = endpoints_.metrics();
    if (!text) {
      res.status = 503;
      res.set_content("metrics unavailable: the process is starting or stopping\n", "text/plain");
      return;
    }
    res.set_content(std::move(*text), k_prometheus_content_type);
  });
  auto probe = [](const std::function<bool()>& check, const char* yes, const char* no) {
    return [&check, yes, no](const httplib::Request&, httplib::Response& res) {
      bool ok = check();
      res.status = ok ? 200 : 503;
      res.set_content(ok ? yes : no, "text/plain");
    };
  };
  server_->Get("/ready", probe(endpoints_.ready, "ready\n", "not ready\n"));
  server_->Get("/live", probe(endpoints_.live, "live\n", "not live\n"));
  if (!server_->bind_to_port(host_.c_str(), port_)) {
    RILL_ERROR("admin", "cannot listen on %s:%u for metrics (admin.port); in use?", host_.c_str(),
               port_);
    server_.reset();
    return false;
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // cpp-httplib's stop() does nothing until the listening loop runs: wait
  // for it, so that a stop right after the start is not lost.
  for (int i = 0; i < k_start_wait_polls && !server_->is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  RILL_ASSERT(server_->is_running(), "the admin HTTP loop did not start");
  RILL_INFO("admin", "metrics on http://%s:%u/metrics, probes /ready and /live", host_.c_str(),
            port_);
  return true;
}

void admin_server::stop() {
  if (!server_) return;
  server_->stop();
  if (thread_.joinable()) thread_.join();
  server_.reset();
}

}  // namespace rill
