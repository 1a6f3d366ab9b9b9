#include "cli/dev_cluster.h"

#include "base/command_line.h"
#include "base/stop_signals.h"
#include "platform/net/tcp_listener.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

namespace rill::cli {
namespace {

struct dev_options {
  std::string dir = "./data/dev";
  int brokers = 3;
  int base_port = 9092;
  int controller_port = 9190;
  int admin_base_port = 9644;  // the controller's; broker i gets +i; 0: none
  int shards = 1;
  std::string replication_transport = "tcp";
  bool json = false;
  std::vector<std::string> broker_args;      // extra --key=value for every broker
  std::vector<std::string> controller_args;  // extra --key=value for the controller
};

struct process_entry {
  std::string role;
  int id = 0;
  pid_t pid = 0;
  int port = 0;
  std::string data_dir;
  std::string log_file;
  int admin_port = 0;  // 0: no admin endpoint
};

std::string state_path(const dev_options& o) {
  return o.dir + "/dev-cluster.state";
}

// The options every dev command takes.
void add_dev_options(CLI::App& cmd, dev_options* o) {
  cmd.add_option("--dir", o->dir, "data and logs of the cluster")->capture_default_str();
  cmd.add_option("--brokers", o->brokers, "brokers")
      ->transform(integer_in(1, 16))
      ->capture_default_str();
  cmd.add_option("--base-port", o->base_port, "Kafka port of broker 1 (then +1 each)")
      ->transform(integer_in(1, 65000))
      ->capture_default_str();
  cmd.add_option("--controller-port", o->controller_port, "controller port")
      ->transform(integer_in(1, 65535))
      ->capture_default_str();
  cmd.add_option("--admin-base-port", o->admin_base_port,
                 "admin HTTP port (/metrics, /ready, /live) of the controller; broker i gets "
                 "this plus i; 0: no admin endpoints")
      ->transform(integer_in(0, 65000))
      ->capture_default_str();
  cmd.add_option("--shards", o->shards, "shards per broker")
      ->transform(integer_in(1, 256))
      ->capture_default_str();
  cmd.add_option("--replication-transport", o->replication_transport,
                 "network between brokers: tcp, or dpdk (a memif link between each pair of "
                 "brokers, set up here)")
      ->check(CLI::IsMember({"tcp", "dpdk"}))
      ->capture_default_str();
  cmd.add_option("--broker-arg", o->broker_args,
                 "a setting passed to every broker, e.g. --broker-arg=--log.flush.policy=interval "
                 "(repeatable)")
      ->allow_extra_args(false);
  cmd.add_option("--controller-arg", o->controller_args,
                 "a setting passed to the controller, e.g. --controller-arg=--num.partitions=4 "
                 "(repeatable)")
      ->allow_extra_args(false);
}

std::vector<process_entry> read_state(const dev_options& o) {
  std::vector<process_entry> out;
  std::ifstream in(state_path(o));
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    process_entry e;
    if (f >> e.role >> e.id >> e.pid >> e.port >> e.data_dir >> e.log_file) {
      if (!(f >> e.admin_port)) e.admin_port = 0;  // a state file from before admin ports
      out.push_back(e);
    }
  }
  return out;
}

void write_state(const dev_options& o, const std::vector<process_entry>& entries) {
  std::ofstream out(state_path(o), std::ios::trunc);
  for (const process_entry& e : entries) {
    out << e.role << " " << e.id << " " << e.pid << " " << e.port << " " << e.data_dir << " "
        << e.log_file << " " << e.admin_port << "\n";
  }
}

bool alive(pid_t pid) {
  return pid > 0 && kill(pid, 0) == 0;
}

// A TCP socket connected to port on 127.0.0.1, or -1.
int connect_loopback(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

bool port_accepts(int port) {
  int fd = connect_loopback(port);
  if (fd >= 0) close(fd);
  return fd >= 0;
}

// The DPDK settings of broker `self` when replication runs on DPDK: one
// net_memif port per peer broker, over a socket in the cluster directory;
// the lower id of each pair is the memif server.
std::vector<std::string> memif_arguments(const dev_options& o, int self) {
  char absolute[4096];
  std::string dir = realpath(o.dir.c_str(), absolute) != nullptr ? absolute : o.dir;
  std::string vdevs;
  std::string peers;
  int index = 0;
  for (int peer = 1; peer <= o.brokers; ++peer) {
    if (peer == self) continue;
    std::string port = "net_memif" + std::to_string(index++);
    std::string socket = dir + "/memif-" + std::to_string(std::min(self, peer)) + "-" +
                         std::to_string(std::max(self, peer)) + ".sock";
    if (!vdevs.empty()) vdevs += ";";
    vdevs += port + ",role=" + (self < peer ? "server" : "client") + ",id=0,socket=" + socket +
             ",socket-abstract=no";
    if (!peers.empty()) peers += ",";
    peers += std::to_string(peer) + "=" + port;
  }
  return {"--replication.transport=dpdk", "--replication.dpdk.vdevs=" + vdevs,
          "--replication.dpdk.peers=" + peers};
}

pid_t spawn_process(const char* self, const dev_options& o, const process_entry& e, bool detached) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  if (detached) {
    setsid();
    int fd = open(e.log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
      close(fd);
    }
  }
  std::vector<std::string> args;
  if (e.role == "controller") {
    args = {self, "controller", "--port=" + std::to_string(e.port), "--data.dir=" + e.data_dir,
            "--admin.port=" + std::to_string(e.admin_port)};
    for (const std::string& a : o.controller_args) args.push_back(a);
  } else {
    args = {self,
            "broker",
            "--broker.id=" + std::to_string(e.id),
            "--port=" + std::to_string(e.port),
            "--log.dirs=" + e.data_dir,
            "--shards=" + std::to_string(o.shards),
            "--pin.shards=false",
            "--controller=127.0.0.1:" + std::to_string(o.controller_port),
            "--admin.port=" + std::to_string(e.admin_port)};
    if (o.replication_transport == "dpdk") {
      for (std::string& a : memif_arguments(o, e.id)) args.push_back(std::move(a));
    }
    for (const std::string& a : o.broker_args) args.push_back(a);
  }
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  execv("/proc/self/exe", argv.data());
  perror("rill dev: exec");
  _exit(127);
}

void print_status(const dev_options& o, const std::vector<process_entry>& entries) {
  if (o.json) {
    nlohmann::json processes = nlohmann::json::array();
    for (const process_entry& e : entries) {
      processes.push_back({{"role", e.role},
                           {"id", e.id},
                           {"pid", e.pid},
                           {"alive", alive(e.pid)},
                           {"port", e.port},
                           {"admin_port", e.admin_port},
                           {"data_dir", e.data_dir},
                           {"log", e.log_file}});
    }
    nlohmann::json out{{"processes", processes},
                       {"bootstrap", "127.0.0.1:" + std::to_string(o.base_port)},
                       {"controller", "127.0.0.1:" + std::to_string(o.controller_port)}};
    printf("%s\n", out.dump().c_str());
    return;
  }
  printf("%-10s %-4s %-8s %-6s %-16s %-6s %s\n", "ROLE", "ID", "PID", "STATE", "PORT", "ADMIN",
         "DATA");
  for (const process_entry& e : entries) {
    printf("%-10s %-4d %-8d %-6s %-16s %-6s %s\n", e.role.c_str(), e.id, e.pid,
           alive(e.pid) ? "up" : "down", ("127.0.0.1:" + std::to_string(e.port)).c_str(),
           e.admin_port == 0 ? "-" : std::to_string(e.admin_port).c_str(), e.data_dir.c_str());
  }
  printf("bootstrap: 127.0.0.1:%d, controller: 127.0.0.1:%d\n", o.base_port, o.controller_port);
}

std::vector<process_entry> plan(const dev_options& o) {
  std::vector<process_entry> entries;
  entries.push_back({"controller", 0, 0, o.controller_port, o.dir + "/controller",
                     o.dir + "/controller.log", o.admin_base_port});
  for (int i = 1; i <= o.brokers; ++i) {
    process_entry e{"broker",
                    i,
                    0,
                    o.base_port + i - 1,
                    o.dir + "/broker-" + std::to_string(i),
                    o.dir + "/broker-" + std::to_string(i) + ".log",
                    o.admin_base_port == 0 ? 0 : o.admin_base_port + i};
    entries.push_back(e);
  }
  return entries;
}

// How many brokers a Kafka Metadata v1 request to port reports (-1 on error).
int metadata_broker_count(int port) {
  int fd = connect_loopback(port);
  if (fd < 0) return -1;
  timeval tv{2, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  int count = -1;
  // size, api 3 (Metadata) v1, correlation 1, client id "rill-dev", all topics (-1)
  const uint8_t request[] = {0, 0,   0,   22,  0,   3,   0,   1,   0,   0,    0,    1,    0,
                             8, 'r', 'i', 'l', 'l', '-', 'd', 'e', 'v', 0xff, 0xff, 0xff, 0xff};
  uint8_t reply[12];
  if (write(fd, request, sizeof(request)) == static_cast<ssize_t>(sizeof(request)) &&
      recv(fd, reply, sizeof(reply), MSG_WAITALL) == static_cast<ssize_t>(sizeof(reply))) {
    count = (reply[8] << 24) | (reply[9] << 16) | (reply[10] << 8) | reply[11];
  }
  close(fd);
  return count;
}

// Ready: every process listens and the first broker's Metadata lists every
// broker (so they all registered with the controller).
bool wait_ready(const std::vector<process_entry>& entries, int brokers, int base_port,
                int timeout_s) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  for (const process_entry& e : entries) {
    while (!port_accepts(e.port)) {
      if (!alive(e.pid) || std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  while (metadata_broker_count(base_port) < brokers) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return true;
}

int stop_all(const dev_options& o) {
  std::vector<process_entry> entries = read_state(o);
  for (const process_entry& e : entries) {
    if (alive(e.pid)) kill(e.pid, SIGTERM);
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  for (const process_entry& e : entries) {
    while (alive(e.pid) && std::chrono::steady_clock::now() < deadline) {
      waitpid(e.pid, nullptr, WNOHANG);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (alive(e.pid)) {
      fprintf(stderr, "rill dev: %s %d (pid %d) did not stop; sending SIGKILL\n", e.role.c_str(),
              e.id, e.pid);
      kill(e.pid, SIGKILL);
    }
  }
  unlink(state_path(o).c_str());
  printf("rill dev: stopped %zu processes\n", entries.size());
  return 0;
}

int start(const char* self, const dev_options& o, bool detached) {
  for (const process_entry& e : read_state(o)) {
    if (alive(e.pid)) {
      fprintf(stderr,
              "rill dev: a cluster from %s is already running (pid %d); `rill dev stop` first\n",
              state_path(o).c_str(), e.pid);
      return 1;
    }
  }
  std::string mk = "mkdir -p '" + o.dir + "'";
  if (system(mk.c_str()) != 0) return 1;
  std::vector<process_entry> entries = plan(o);
  for (const process_entry& e : entries) {
    for (int port : {e.port, e.admin_port}) {
      if (port != 0 && !net::port_is_free("127.0.0.1", static_cast<uint16_t>(port))) {
        fprintf(stderr,
                "rill dev: port %d is already in use; is another cluster running? (`rill dev "
                "status`; --admin-base-port=0 turns the admin ports off)\n",
                port);
        return 1;
      }
    }
  }
  for (process_entry& e : entries) e.pid = spawn_process(self, o, e, detached);
  write_state(o, entries);
  if (!wait_ready(entries, o.brokers, o.base_port, 30)) {
    fprintf(stderr, "rill dev: the cluster did not come up; see the logs in %s\n", o.dir.c_str());
    stop_all(o);
    return 1;
  }
  printf("rill dev: cluster ready, bootstrap 127.0.0.1:%d\n", o.base_port);
  print_status(o, entries);
  fflush(stdout);
  return 0;
}

int run_foreground(const char* self, const dev_options& o) {
  stop_signals signals;
  if (start(self, o, false) != 0) return 1;
  printf("rill dev: running; Ctrl-C stops the cluster\n");
  fflush(stdout);
  signals.wait();
  return stop_all(o);
}

}  // namespace

int dev_main(const char* self, const std::vector<std::string>& args) {
  dev_options o;
  CLI::App app("A local cluster on loopback: a controller and brokers, each its own process.",
               "rill dev");
  app.require_subcommand(1);
  CLI::App* run = app.add_subcommand("run", "start the cluster in the foreground; Ctrl-C stops it");
  CLI::App* start_cmd = app.add_subcommand("start", "start it detached (logs in DIR/*.log)");
  CLI::App* status = app.add_subcommand("status", "every process: role, id, pid, ports, data");
  status->add_flag("--json", o.json, "JSON output");
  CLI::App* stop = app.add_subcommand("stop", "SIGTERM every process, SIGKILL after 15 s");
  for (CLI::App* cmd : {run, start_cmd, status, stop}) add_dev_options(*cmd, &o);
  if (auto code = parse_command_line(app, args)) return *code;
  if (run->parsed()) return run_foreground(self, o);
  if (start_cmd->parsed()) return start(self, o, true);
  if (status->parsed()) {
    print_status(o, read_state(o));
    return 0;
  }
  return stop_all(o);
}

}  // namespace rill::cli
