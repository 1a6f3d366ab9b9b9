// service: the life every long-running Rill process shares - the broker,
// the controller and each process `rill dev` starts are one of these:
//
//   1. its settings schema becomes its command line (every setting an
//      option, `--config FILE`, `--help` listing them with their defaults;
//      a bad key or value stops it with exit code 2);
//   2. SIGTERM and SIGINT are taken before any thread starts (stop_signals);
//   3. its listening port is checked free before anything is built;
//   4. it runs its runtime until the shards stop on their own or a stop
//      signal asks them to, and reports how it ended.
//
// Constructed and used on the main thread only.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/config.h"
#include "base/stop_signals.h"
#include "platform/runtime/runtime.h"

namespace rill::process {

struct service_identity {
  const char* command;  // as typed: "rill broker"
  const char* role;     // log tag and messages: "broker"
  const char* summary;  // the first lines of --help
};

// Reads args (after the command) into c: nullopt to go on, else the code
// to exit with (0 after --help, 2 after a bad option or value).
std::optional<int> parse_service_command_line(const service_identity& id, config& c,
                                              const std::vector<std::string>& args);

class service {
 public:
  // Takes the stop signals: construct before any other thread starts.
  explicit service(service_identity id) : id_(id) {}

  // Whether host:port is free to listen on; logs why not.
  bool claim_port(const std::string& host, uint16_t port) const;

  // REQUIRES: rt was started. Returns once its shards stopped: on their
  // own, or because SIGTERM or SIGINT came (then stopping is set first and
  // the runtime asked to stop). stopping is set on return either way.
  void run_until_stopped(runtime::runtime& rt, std::atomic<bool>& stopping);

  // The process's exit code: 1 when any shard failed, else 0; logged.
  int exit_code(bool failed) const;

 private:
  service_identity id_;
  stop_signals signals_;
};

}  // namespace rill::process
