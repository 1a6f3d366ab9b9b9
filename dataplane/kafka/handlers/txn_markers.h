// txn_markers: how a decided transaction's markers reach its partitions.
//
// write_marker_here() appends one marker on the shard that owns the
// partition (the WriteTxnMarkers handler and the local path both use it)
// and, on __consumer_offsets, lets the group coordinator apply or drop the
// transaction's offset commits. txn_marker_sender is one shard's
// transaction coordinator's marker_writer: partitions this broker leads
// are written here; the others go, grouped by leader, in one
// WriteTxnMarkers request to each leader over a connection kept per
// broker. Owned per shard by the broker; close() before destruction.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/task.h"
#include "base/turn_queue.h"
#include "dataplane/kafka/protocol.h"
#include "dataplane/replication/replica_transport.h"
#include "dataplane/transaction/transaction_coordinator.h"
#include "platform/net/provided_buffer_ring.h"
#include "platform/runtime/shard.h"

namespace rill::kafka {

// How long one marker append waits to be replicated (acks=all).
constexpr int32_t k_marker_timeout_ms = 5000;

// On the shard that owns topic-partition.
task<error_code> write_marker_here(std::string topic, int32_t partition, int64_t producer_id,
                                   int16_t producer_epoch, bool commit, int32_t coordinator_epoch);

// What a marker's Kafka error means to the coordinator that sent it.
transaction::txn_errc marker_outcome(error_code e);

class txn_marker_sender {
 public:
  explicit txn_marker_sender(runtime::shard& s) : shard_(&s) {}
  // The coordinator's marker_writer: one outcome per partition, in order.
  task<std::vector<transaction::txn_errc>> write(transaction::marker_job job);
  task<void> close();

 private:
  struct peer {
    std::string address;  // host:port the transport was made for
    std::unique_ptr<replication::replica_transport> transport;
    turn_queue turns;  // one exchange at a time on the connection
  };
  // Sends one broker its share of the job; one outcome per index. False
  // when the exchange failed (its outcomes stay retriable).
  task<bool> send_to(int32_t broker, std::string host, int32_t port,
                     const transaction::marker_job& job, std::vector<size_t> indexes,
                     std::vector<transaction::txn_errc>* out);

  runtime::shard* shard_;
  std::unique_ptr<net::provided_buffer_ring> buffers_;
  // Shared: an exchange keeps its peer alive while a new address replaces it.
  std::map<int32_t, std::shared_ptr<peer>> peers_;
  int32_t correlation_ = 0;
  bool closed_ = false;
};

}  // namespace rill::kafka
