// controller_link: a broker's connection to the controller, on shard 0.
//
// It registers the broker (retrying until the controller answers),
// heartbeats every heartbeat_interval_ms (re-registering when the
// controller no longer knows its broker epoch), long-polls metadata
// (applying the deltas the controller sends, or a whole snapshot when it
// has no deltas for this broker's epoch) and hands every newer snapshot to
// on_metadata, and forwards topic changes. ISR changes that arrive while
// one request is in flight go together in the next (alter_partitions).
// Two TCP connections: one for the long poll, one for everything else, so
// a poll never delays a heartbeat. While the controller is unreachable the
// broker keeps serving with the metadata it has, but its leaderships end
// when the leadership lease does (leadership_lease.h).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "base/task.h"
#include "control/controller_rpc.h"
#include "control/metadata_model.h"
#include "dataplane/node/broker_settings.h"
#include "dataplane/partition/leadership_lease.h"
#include "platform/net/provided_buffer_ring.h"
#include "platform/net/socket_address.h"
#include "platform/net/tcp_connection.h"
#include "platform/runtime/wait_queue.h"

namespace rill::partition {

class controller_link {
 public:
  using metadata_fn = std::function<task<void>(control::snapshot_ptr)>;

  controller_link(runtime::shard& s, const broker_settings& settings,
                  std::vector<net::socket_address> controllers, metadata_fn on_metadata,
                  leadership_lease& lease);
  void start();

  // Each returns nullopt when the controller could not be reached.
  task<std::optional<control::rpc::topics_response>> create_topics(
      control::rpc::create_topics_request req);
  task<std::optional<control::rpc::topics_response>> delete_topics(
      control::rpc::delete_topics_request req);
  task<std::optional<control::rpc::topics_response>> create_partitions(
      control::rpc::create_partitions_request req);
  // A block of producer ids; nullopt while unregistered or unreachable.
  task<std::optional<control::rpc::allocate_producer_ids_response>> allocate_producer_ids();
  task<std::optional<control::rpc::topics_response>> alter_reassignments(
      control::rpc::alter_reassignments_request req);
  task<std::optional<control::rpc::topics_response>> alter_topic_config(
      control::rpc::alter_topic_config_request req);
  // Joins the next alter_partitions request; its partition's answer.
  task<std::optional<control::rpc::alter_partition_response>> alter_partition(
      control::rpc::alter_partition_request req);
  task<std::optional<control::rpc::elect_preferred_response>> elect_preferred();
  // A replica's log went offline, or works again (false: not delivered).
  task<bool> report_replica_state(std::string topic, int32_t partition, bool offline);
  // Runs after every successful registration: the controller then believes
  // every replica of this broker healthy, so the broker reports again what
  // is not.
  void on_registered(std::function<void()> fn) { on_registered_ = std::move(fn); }
  // Asks the controller to move leaderships away; returns when it did or
  // timeout_ms passed.
  task<void> controlled_shutdown(int64_t timeout_ms);
  // Stops the loops and closes the connections.
  task<void> stop();

 private:
  struct channel {
    std::unique_ptr<net::tcp_connection> connection;
    size_t candidate = 0;  // index into controllers_ it is connected to
    bool busy = false;
    int32_t correlation = 0;
    runtime::wait_queue free;
  };
  task<std::optional<std::vector<uint8_t>>> call(channel& ch, control::rpc::api key,
                                                 std::vector<uint8_t> body, uint64_t timeout_ns);
  task<bool> ensure_connected(channel& ch);
  task<void> drop(channel& ch);
  // A call failed: with several candidates, move to the next one and cut
  // the long poll too, so both channels follow the active controller.
  void next_candidate();
  uint64_t heartbeat_timeout_ns() const;
  task<bool> register_once();
  task<void> heartbeat_loop();
  void note_lease(bool renewed, uint64_t sent_ns);
  task<void> metadata_loop();
  // The snapshot after resp (deltas applied to the current one, or the
  // whole snapshot parsed); null when it cannot be had (logged).
  control::snapshot_ptr next_snapshot(const control::rpc::fetch_metadata_response& resp) const;
  // Sends the waiting ISR changes, in batches, until none waits.
  task<void> send_isr_changes();

  runtime::shard* shard_;
  const broker_settings* settings_;
  std::function<void()> on_registered_;
  // Candidates (etcd store: one active, standbys not listening); the link
  // moves to the next one when a connection cannot be made.
  std::vector<net::socket_address> controllers_;
  size_t current_ = 0;
  const net::socket_address& controller() const { return controllers_[current_]; }
  metadata_fn on_metadata_;
  std::unique_ptr<net::provided_buffer_ring> buffers_;
  channel rpc_;
  channel poll_;
  int64_t broker_epoch_ = -1;
  leadership_lease* lease_;
  int64_t session_timeout_ms_ = 0;
  bool lease_lapsed_logged_ = false;
  int64_t known_epoch_ = -1;
  control::snapshot_ptr known_;  // the snapshot at known_epoch_
  struct isr_change {
    control::rpc::alter_partition_request request;
    std::optional<control::rpc::alter_partition_response> response;
    bool answered = false;
  };
  std::vector<isr_change*> isr_changes_waiting_;  // each lives in its caller's frame
  bool isr_sender_running_ = false;
  runtime::wait_queue isr_changes_answered_;
  bool stopping_ = false;
  int loops_running_ = 0;
  runtime::wait_queue loops_done_;
};

}  // namespace rill::partition
