// rill: the single command of the project.
//   rill broker [--config FILE] [--key=value ...]   run one broker
//   rill dev run|start|status|stop [options]         a local cluster
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "cli/admin.h"
#include "cli/dev_cluster.h"
#include "cli/groups.h"
#include "cli/reassign.h"
#include "cli/tune.h"
#include "control/server/controller_server.h"
#include "dataplane/broker/broker.h"
#include "dataplane/broker/broker_config.h"

namespace {

int usage(FILE* out, int code) {
  fprintf(
      out,
      "usage:\n"
      "  rill broker [--config FILE] [--key=value ...]   run a broker (--help lists settings)\n"
      "  rill controller [--key=value ...]               run the controller (--help lists "
      "settings)\n"
      "  rill dev run|start|status|stop [--help]         run a local cluster on loopback\n"
      "  rill topics create|describe|delete|alter-config  manage topics\n"
      "  rill cluster describe [--json]                  brokers, under-replicated and offline "
      "partitions\n"
      "  rill elect-leaders --preferred                  move leaders back to preferred "
      "replicas\n"
      "  rill groups list|describe|delete|reset-offsets  consumer groups, their offsets and lag\n"
      "  rill reassign generate|execute|verify|cancel|list  move partitions, change replication\n"
      "                                                  factors, drain a broker\n"
      "  rill tune --check|--apply [NAMES]               the machine settings Rill depends on\n"
      "  rill iotune --dir=DIR [--out=FILE]              measure a disk; brokers take the "
      "profile\n"
      "Each command takes --help; options are --key=value or --key value.\n");
  return code;
}

int broker_main(const std::vector<std::string>& args) {
  rill::partition::broker_settings settings;
  if (auto code = rill::broker::load_broker_settings(args, &settings)) return *code;
  return rill::broker::run_broker(settings);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage(stderr, 2);
  std::string command = argv[1];
  if (command == "--help" || command == "-h" || command == "help") return usage(stdout, 0);
  std::vector<std::string> args(argv + 2, argv + argc);
  if (command == "broker") return broker_main(args);
  if (command == "dev") return rill::cli::dev_main(argv[0], args);
  if (command == "controller") return rill::control::run_controller(args);
  if (command == "topics") return rill::cli::topics_main(args);
  if (command == "cluster") return rill::cli::cluster_main(args);
  if (command == "elect-leaders") return rill::cli::elect_leaders_main(args);
  if (command == "groups") return rill::cli::groups_main(args);
  if (command == "tune") return rill::cli::tune_main(args);
  if (command == "reassign") return rill::cli::reassign_main(args);
  if (command == "iotune") return rill::cli::iotune_main(args);
  fprintf(stderr, "rill: unknown command '%s'\n", command.c_str());
  return usage(stderr, 2);
}
