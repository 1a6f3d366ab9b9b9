// controller_service: the controller's state machine. Brokers register and
// heartbeat; a broker silent for session_timeout_ms is fenced (its
// leaderships move to live ISR members, or its partitions go offline);
// partition leaders change ISRs; preferred leaders are restored on an
// interval; topic changes go through the metadata store. Every change is
// written to the store (metadata_service) before anyone is told about it.
//
// Used by the controller's single shard; time comes from the caller (tick()
// and the now_ms arguments), so the logic can run in simulation.
#pragma once

#include <cstdint>
#include <functional>
#include <map>

#include "base/task.h"
#include "control/controller_rpc.h"
#include "control/election.h"
#include "control/metadata_service.h"
#include "control/reassignment.h"

namespace rill::control {

struct controller_options {
  int64_t session_timeout_ms = 6000;
  bool auto_preferred_election = true;
  int64_t preferred_check_interval_ms = 5000;
};

// What the controller decided since it started, for metrics.
struct controller_counters {
  uint64_t elections = 0;            // a partition got a new live leader
  uint64_t partitions_offlined = 0;  // a partition lost its last leader candidate
  uint64_t isr_changes = 0;          // partitions' ISR changes accepted
  uint64_t isr_change_requests = 0;  // alter_partitions requests (each a batch)
  uint64_t brokers_fenced = 0;
};

class controller_service {
 public:
  controller_service(metadata_service& store, controller_options options, int64_t now_ms);

  task<rpc::register_response> register_broker(const rpc::register_request& req, int64_t now_ms);
  task<rpc::heartbeat_response> heartbeat(const rpc::heartbeat_request& req, int64_t now_ms);
  rpc::fetch_metadata_response fetch_metadata(int64_t known_epoch) const;
  task<rpc::topics_response> create_topics(const rpc::create_topics_request& req);
  task<rpc::topics_response> delete_topics(const rpc::delete_topics_request& req);
  task<rpc::topics_response> alter_topic_config(const rpc::alter_topic_config_request& req);
  task<rpc::topics_response> create_partitions(const rpc::create_partitions_request& req);
  // ISR changes of many partitions, applied and stored as one change.
  task<rpc::alter_partitions_response> alter_partitions(const rpc::alter_partitions_request& req);
  // A block of producer ids, stored before it is answered.
  task<rpc::allocate_producer_ids_response> allocate_producer_ids(
      const rpc::allocate_producer_ids_request& req);
  // Starts or cancels partition reassignments (control/reassignment.h).
  task<rpc::topics_response> alter_reassignments(const rpc::alter_reassignments_request& req);
  task<rpc::elect_preferred_response> elect_preferred();
  // A broker's replica log went offline (leadership and ISR membership move
  // away at once) or works again (it may rejoin as a follower).
  task<rpc::report_replica_state_response> report_replica_state(
      const rpc::report_replica_state_request& req);
  // The connection a broker registered on closed (its process died): fence
  // it now instead of after the session timeout.
  task<void> connection_closed(int32_t broker, int64_t broker_epoch);
  // Fences expired sessions and runs due preferred elections.
  task<void> tick(int64_t now_ms);

  int64_t metadata_epoch() const { return store_.snapshot()->epoch; }
  snapshot_ptr snapshot() const { return store_.snapshot(); }
  const controller_counters& counters() const { return counters_; }
  const metadata_service::store_counters& store_counters() const { return store_.counters(); }
  // Called after every published change (the server wakes long-polls).
  void on_change(std::function<void()> fn) { on_change_ = std::move(fn); }

 private:
  struct session {
    int64_t broker_epoch = -1;
    int64_t last_heartbeat_ms = 0;
  };
  task<topic_errc> publish(std::function<bool(cluster_snapshot&)> mutate);
  // Logs and counts leadership changes.
  void note_changes(const std::vector<leader_change>& changes, const char* why);

  metadata_service& store_;
  controller_options options_;
  std::map<int32_t, session> sessions_;
  int64_t last_preferred_check_ms_;
  std::function<void()> on_change_;
  controller_counters counters_;
};

}  // namespace rill::control
