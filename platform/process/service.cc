#include "platform/process/service.h"

#include "base/assert.h"
#include "base/command_line.h"
#include "base/log.h"
#include "platform/net/tcp_listener.h"

namespace rill::process {

std::optional<int> parse_service_command_line(const service_identity& id, config& c,
                                              const std::vector<std::string>& args) {
  RILL_ASSERT(id.command != nullptr && id.summary != nullptr);
  CLI::App app(std::string(id.summary) +
                   "\nEvery setting is an option (--key=value or --key value); a file given "
                   "with --config holds key=value lines, and options win over it.",
               id.command);
  add_config_options(app, c);
  return parse_command_line(app, args);
}

bool service::claim_port(const std::string& host, uint16_t port) const {
  if (net::port_is_free(host, port)) return true;
  RILL_ERROR(id_.role, "%s:%u is already in use (another %s?); not starting", host.c_str(), port,
             id_.role);
  return false;
}

void service::run_until_stopped(runtime::runtime& rt, std::atomic<bool>& stopping) {
  signals_.watch([&](int sig) {
    RILL_INFO(id_.role, "received %s: stopping", stop_signals::name(sig));
    stopping = true;
    rt.request_stop();
  });
  rt.join();
  stopping = true;
}

int service::exit_code(bool failed) const {
  if (failed) {
    RILL_ERROR(id_.role, "%s stopped after a failure", id_.role);
    return 1;
  }
  RILL_INFO(id_.role, "%s stopped", id_.role);
  return 0;
}

}  // namespace rill::process
