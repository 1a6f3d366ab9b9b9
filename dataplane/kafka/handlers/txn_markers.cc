#include "dataplane/kafka/handlers/txn_markers.h"

#include "base/assert.h"
#include "base/log.h"
#include "dataplane/group/group_coordinator.h"
#include "dataplane/kafka/handlers/error_mapping.h"
#include "dataplane/kafka/messages/transaction.h"
#include "dataplane/node/shard_state.h"
#include "platform/runtime/clock.h"
#include "platform/runtime/cross_shard.h"
#include "platform/runtime/when_all.h"

namespace rill::kafka {
namespace {

// One exchange with another broker: the markers' own timeout and a margin.
constexpr uint64_t k_exchange_ns = (k_marker_timeout_ms + 2000) * runtime::k_ns_per_ms;
constexpr size_t k_response_bytes_max = 1 << 20;

}  // namespace

task<error_code> write_marker_here(std::string topic, int32_t partition, int64_t producer_id,
                                   int16_t producer_epoch, bool commit, int32_t coordinator_epoch) {
  partition::shard_state& local = partition::shard_state::local();
  RILL_ASSERT(local.owner_of(topic, partition) == local.shard().id(),
              "%s-%d: marker written on shard %u, not its owner", topic.c_str(), partition,
              local.shard().id().value());
  std::shared_ptr<partition::partition_replica> r = local.find_shared(topic, partition);
  if (r == nullptr) co_return error_code::not_leader_or_follower;
  storage::txn_marker marker{
      .type = commit ? storage::marker_type::commit : storage::marker_type::abort,
      .coordinator_epoch = coordinator_epoch};
  partition::produce_outcome out =
      co_await r->write_marker(producer_id, producer_epoch, marker, k_marker_timeout_ms);
  if (out.error == partition::partition_errc::ok && topic == group::k_offsets_topic) {
    group::group_coordinator::local().complete_transaction(partition, producer_id, commit);
  }
  if (out.error != partition::partition_errc::ok) {
    RILL_DEBUG("txn", "%s-%d: %s marker of producer %lld epoch %d: %s", topic.c_str(), partition,
               commit ? "commit" : "abort", static_cast<long long>(producer_id), producer_epoch,
               partition::partition_errc_name(out.error));
  }
  co_return to_kafka(out.error);
}

transaction::txn_errc marker_outcome(error_code e) {
  switch (e) {
    case error_code::none:
      return transaction::txn_errc::ok;
    case error_code::unknown_topic_or_partition:
      return transaction::txn_errc::unknown_topic_or_partition;
    case error_code::invalid_producer_epoch:
    case error_code::producer_fenced:
      // The partition has seen a newer epoch of the producer: a later
      // transaction began there, and this marker is obsolete (Kafka drops it).
      return transaction::txn_errc::ok;
    default:
      return transaction::txn_errc::coordinator_not_available;  // retried
  }
}

task<std::vector<transaction::txn_errc>> txn_marker_sender::write(transaction::marker_job job) {
  std::vector<transaction::txn_errc> out(job.partitions.size(),
                                         transaction::txn_errc::coordinator_not_available);
  if (closed_) co_return out;
  partition::shard_state& local = partition::shard_state::local();
  control::snapshot_ptr s = local.snapshot();
  const int32_t me = local.settings().broker_id;
  std::map<int32_t, std::vector<size_t>> remote;  // leader -> indexes into job.partitions
  std::vector<task<error_code>> here;
  std::vector<size_t> here_indexes;
  for (size_t i = 0; i < job.partitions.size(); ++i) {
    std::string topic = job.partitions[i].first;
    int32_t index = job.partitions[i].second;
    const control::partition_info* info = s->find_partition(topic, index);
    if (info == nullptr) {
      out[i] = transaction::txn_errc::unknown_topic_or_partition;
    } else if (info->leader == me) {
      here_indexes.push_back(i);
      here.push_back(runtime::submit_to(
          local.owner_of(topic, index),
          [topic, index, p = job.producer_id, e = job.producer_epoch, c = job.commit,
           ce = job.coordinator_epoch] { return write_marker_here(topic, index, p, e, c, ce); }));
    } else if (info->leader >= 0) {
      remote[info->leader].push_back(i);
    }  // no leader: stays retriable
  }
  std::vector<task<bool>> sends;
  for (auto& [broker, indexes] : remote) {
    auto b = s->brokers.find(broker);
    if (b == s->brokers.end() || !b->second.alive) continue;
    sends.push_back(send_to(broker, b->second.host, b->second.port, job, indexes, &out));
  }
  std::vector<error_code> local_errors = co_await runtime::when_all(std::move(here));
  (void)co_await runtime::when_all(std::move(sends));
  RILL_ASSERT(local_errors.size() == here_indexes.size(), "%zu answers for %zu local markers",
              local_errors.size(), here_indexes.size());
  for (size_t k = 0; k < here_indexes.size(); ++k) {
    out[here_indexes[k]] = marker_outcome(local_errors[k]);
  }
  co_return out;
}

task<bool> txn_marker_sender::send_to(int32_t broker, std::string host, int32_t port,
                                      const transaction::marker_job& job,
                                      std::vector<size_t> indexes,
                                      std::vector<transaction::txn_errc>* out) {
  write_txn_markers_request req;
  txn_marker_entry& m = req.markers.emplace_back();
  m.producer_id = job.producer_id;
  m.producer_epoch = job.producer_epoch;
  m.committed = job.commit;
  m.coordinator_epoch = job.coordinator_epoch;
  for (size_t i : indexes) {
    const auto& [topic, index] = job.partitions[i];
    if (m.topics.empty() || m.topics.back().name != topic) m.topics.push_back({topic, {}});
    m.topics.back().partitions.push_back(index);
  }
  net::socket_address address;
  if (closed_ || !net::socket_address::parse(host, static_cast<uint16_t>(port), &address)) {
    co_return false;
  }
  std::shared_ptr<peer> self = peers_[broker];
  if (self == nullptr || self->address != address.to_string()) {
    // New, or the broker moved: a new connection. Exchanges still waiting on
    // the old one fail and are retried.
    if (!buffers_) {
      buffers_ = std::make_unique<net::provided_buffer_ring>(
          *shard_,
          net::buffer_ring_options{.group_id = 9, .buffer_count = 16, .buffer_bytes = 64 * 1024});
    }
    std::shared_ptr<peer> old = std::exchange(self, std::make_shared<peer>());
    self->address = address.to_string();
    self->transport = replication::make_tcp_replica_transport(*shard_, address, buffers_.get(),
                                                              k_response_bytes_max);
    peers_[broker] = self;
    if (old != nullptr) {
      old->transport->interrupt();
      turn_queue::turn t = co_await old->turns.enter();
      co_await old->transport->close();
    }
  }
  turn_queue::turn t = co_await self->turns.enter();
  if (closed_) co_return false;
  int32_t correlation = ++correlation_;
  auto body = co_await self->transport->round_trip(encode_write_txn_markers_frame(correlation, req),
                                                   runtime::monotonic_ns() + k_exchange_ns);
  t.release();
  if (!body) {
    RILL_DEBUG("txn", "WriteTxnMarkers to broker %d failed; retried", broker);
    co_return false;
  }
  wire_reader in(*body);
  write_txn_markers_response resp;
  int32_t got = 0;
  if (!decode_write_txn_markers_response(in, &got, &resp) || got != correlation ||
      resp.markers.size() != 1) {
    RILL_WARN("txn", "broker %d answered WriteTxnMarkers with a response that does not match",
              broker);
    co_return false;
  }
  size_t k = 0;
  for (const topic_partition_errors& t2 : resp.markers[0].topics) {
    for (const partition_error& pe : t2.partitions) {
      if (k >= indexes.size() || job.partitions[indexes[k]].first != t2.name ||
          job.partitions[indexes[k]].second != pe.index) {
        RILL_WARN("txn", "broker %d answered WriteTxnMarkers for partitions not asked; retried",
                  broker);
        co_return false;
      }
      (*out)[indexes[k++]] = marker_outcome(static_cast<error_code>(pe.error));
    }
  }
  co_return true;
}

task<void> txn_marker_sender::close() {
  closed_ = true;
  std::map<int32_t, std::shared_ptr<peer>> peers = std::move(peers_);
  peers_.clear();
  for (auto& [broker, p] : peers) {
    p->transport->interrupt();
    turn_queue::turn t = co_await p->turns.enter();
    co_await p->transport->close();
  }
}

}  // namespace rill::kafka
