// etcd_leadership: one controller candidate's campaign for the active role.
//
// A thread grants a lease (ttl_s), then tries to create <prefix>/leader =
// candidate attached to it; while another candidate holds the key it tries
// again every 250 ms (the key vanishes when the holder's lease expires:
// kill -9 of the active controller hands over within about ttl_s). Once it
// has won it keeps the lease alive every ttl_s/3; when etcd stops confirming
// the lease for ttl_s, leadership is lost for good (lost()): the controller
// must stop, and every write it still tries is refused by etcd_metadata_store,
// whose writes are guarded by the leader key's value and create revision.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

#include "control/etcd/etcd_client.h"
#include "control/metadata_store.h"
#include "platform/runtime/blocking_worker.h"

namespace rill::control::etcd {

class etcd_leadership {
 public:
  etcd_leadership(endpoint e, std::string prefix, std::string candidate, int64_t ttl_s);
  ~etcd_leadership();
  void start();

  bool leading() const { return leading_.load(); }
  bool lost() const { return lost_.load(); }
  int64_t revision() const { return revision_.load(); }
  const std::string& leader_key() const { return leader_key_; }
  const std::string& candidate() const { return candidate_; }
  const std::string& prefix() const { return prefix_; }
  etcd_client& client() { return client_; }
  void mark_lost() {
    lost_ = true;
    leading_ = false;
  }

 private:
  void run();
  bool sleep_ms(int64_t ms);  // false when stopping

  etcd_client client_;
  std::string prefix_;
  std::string leader_key_;
  std::string candidate_;
  int64_t ttl_s_;
  std::atomic<bool> leading_{false};
  std::atomic<bool> lost_{false};
  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> revision_{0};
  std::thread thread_;
};

// The cluster snapshot at <prefix>/metadata and the deltas after it at
// <prefix>/log/<epoch, 20 digits>, written only by the leader; a new
// snapshot and the removal of the deltas it covers are one transaction.
class etcd_metadata_store : public metadata_store {
 public:
  explicit etcd_metadata_store(etcd_leadership& leadership) : leadership_(&leadership) {}
  // Each waits for an etcd round trip, made on the store's own worker
  // thread: the controller's shard keeps serving meanwhile.
  task<std::optional<stored_metadata>> load() override;
  task<bool> append(int64_t epoch, std::string delta) override;
  task<bool> save_snapshot(int64_t epoch, std::string snapshot) override;
  std::string describe() const override;

 private:
  std::string log_prefix() const { return leadership_->prefix() + "/log/"; }
  std::string log_key(int64_t epoch) const;
  bool write(const std::vector<etcd_write>& writes);  // on the worker

  etcd_leadership* leadership_;
  runtime::blocking_worker worker_;
};

}  // namespace rill::control::etcd
