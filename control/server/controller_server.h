// controller_server: the controller process's network side: a TCP server
// on one shard that decodes controller RPCs, runs them on the
// controller_service and answers in order on each connection. Metadata
// fetches long-poll: they wait until the epoch moves past the caller's or
// their max wait passes. A tick loop fences expired broker sessions.
//
// Owned by the controller program on its single shard; destroyed in the
// shard's at_exit hook.
#pragma once

#include <memory>

#include "base/task.h"
#include "control/controller_service.h"
#include "platform/net/tcp_server.h"
#include "platform/runtime/wait_queue.h"

namespace rill::control {

class controller_server {
 public:
  controller_server(runtime::shard& s, controller_service& service,
                    net::tcp_server_options options);
  [[nodiscard]] net::net_errc start();
  uint16_t port() const { return server_.port(); }

 private:
  struct session_binding {
    int32_t broker = -1;
    int64_t broker_epoch = -1;
  };
  task<void> serve(net::tcp_connection& c);
  task<void> serve_requests(net::tcp_connection& c, session_binding* binding);
  task<std::vector<uint8_t>> dispatch(int16_t key, wire_reader& in, bool* ok,
                                      session_binding* binding);
  task<void> tick_loop();

  runtime::shard* shard_;
  controller_service& service_;
  net::tcp_server server_;
  runtime::wait_queue changed_;
};

// Runs the controller program (`rill controller`); returns the exit code.
int run_controller(const std::vector<std::string>& args);

}  // namespace rill::control
