#include "dataplane/replication/replica_fetcher.h"

#include "base/assert.h"
#include "base/byte_order.h"
#include "base/log.h"
#include "platform/net/tcp_listener.h"
#include "platform/runtime/clock.h"
#include "platform/runtime/uring_op.h"
#include "platform/runtime/when_all.h"

namespace rill::replication {
namespace {
constexpr uint64_t k_retry_ns = 200 * runtime::k_ns_per_ms;
constexpr uint64_t k_reply_slack_ns = 5000 * runtime::k_ns_per_ms;
constexpr size_t k_applies_in_flight_max = 64;
}  // namespace

replica_fetcher::replica_fetcher(runtime::shard& s, fetcher_options options,
                                 net::provided_buffer_ring* buffers, finder find)
    : shard_(&s), options_(std::move(options)), find_(std::move(find)) {
  if (options_.make_transport) {
    transport_ = options_.make_transport(s, options_.leader);
  } else {
    transport_ = make_tcp_replica_transport(s, options_.leader_address, buffers,
                                            static_cast<size_t>(options_.response_max_bytes));
  }
  const transport_faults& f = options_.faults;
  if (f.drop_per_mille > 0 || f.delay_ms_max > 0) {
    transport_ = std::make_unique<faulty_replica_transport>(s, std::move(transport_), f);
  }
}

replica_fetcher::~replica_fetcher() {
  RILL_ASSERT(!running_, "fetcher destroyed while running; await stop()");
}

void replica_fetcher::set_partitions(std::set<std::pair<std::string, int32_t>> partitions) {
  partitions_ = std::move(partitions);
  changed_.notify_all();
}

void replica_fetcher::start() {
  running_ = true;
  spawn(run());
}

task<void> replica_fetcher::stop() {
  stopping_ = true;
  changed_.notify_all();
  transport_->interrupt();
  while (running_) co_await stopped_.wait(*shard_);
}

task<void> replica_fetcher::run() {
  int failures = 0;
  while (!stopping_) {
    if (partitions_.empty()) {
      co_await changed_.wait(*shard_);
      continue;
    }
    if (co_await fetch_once()) {
      failures = 0;
      continue;
    }
    if (++failures == 10) {
      RILL_WARN("replication", "fetches from leader %d at %s keep failing; retrying",
                options_.leader, options_.leader_address.to_string().c_str());
    }
    if (!stopping_)
      (void)co_await changed_.wait_until(*shard_, runtime::monotonic_ns() + k_retry_ns);
  }
  co_await transport_->close();
  running_ = false;
  stopped_.notify_all();
}

task<bool> replica_fetcher::fetch_once() {
  kafka::fetch_request req;
  req.replica_id = options_.self;
  req.max_wait_ms = options_.max_wait_ms;
  req.min_bytes = 1;
  req.max_bytes = options_.response_max_bytes;
  req.session_id = 0;
  req.session_epoch = -1;
  std::map<std::string, kafka::fetch_topic> by_topic;
  for (const auto& [topic, index] : partitions_) {
    std::shared_ptr<partition::partition_replica> r = find_(topic, index);
    if (r == nullptr || r->role() != partition::replica_role::follower ||
        r->leader_id() != options_.leader)
      continue;
    kafka::fetch_topic& t = by_topic[topic];
    t.name = topic;
    t.partitions.push_back({index, r->leader_epoch(), r->log_end_offset(),
                            r->log().epochs().latest_epoch(), r->log().log_start_offset(),
                            options_.partition_max_bytes});
  }
  if (by_topic.empty()) {
    (void)co_await changed_.wait_until(*shard_, runtime::monotonic_ns() + k_retry_ns);
    co_return true;
  }
  for (auto& [name, t] : by_topic) req.topics.push_back(std::move(t));
  int32_t correlation = ++correlation_;
  uint64_t deadline = runtime::monotonic_ns() +
                      static_cast<uint64_t>(options_.max_wait_ms) * runtime::k_ns_per_ms +
                      k_reply_slack_ns;
  auto frame = co_await transport_->round_trip(
      kafka::encode_fetch_request_frame(correlation, "rill-replica", req), deadline);
  if (!frame) co_return false;
  wire_reader in(*frame);
  int32_t got_correlation = 0;
  kafka::fetched_response response;
  if (!kafka::decode_fetch_response(in, &got_correlation, &response) ||
      got_correlation != correlation) {
    RILL_WARN("replication", "bad fetch response from leader %d; reconnecting", options_.leader);
    co_await transport_->close();
    co_return false;
  }
  // Partitions are applied k_applies_in_flight_max at a time: each waits
  // for its own disk write, and a response carrying hundreds of partitions
  // must not cost hundreds of writes one after another (the leader's acks=all
  // produces wait for the next fetch). The frame outlives every apply.
  bool any_error = false;
  std::vector<task<bool>> applies;
  for (const kafka::fetched_topic& t : response.topics) {
    for (const kafka::fetched_partition& p : t.partitions) {
      any_error = any_error || p.error != kafka::error_code::none;
      applies.push_back([](replica_fetcher* self, const std::string* topic,
                           const kafka::fetched_partition* part) -> task<bool> {
        co_await self->apply(*topic, *part);
        co_return true;
      }(this, &t.name, &p));
      if (applies.size() == k_applies_in_flight_max) {
        (void)co_await runtime::when_all(std::move(applies));
        applies.clear();
      }
    }
  }
  if (!applies.empty()) (void)co_await runtime::when_all(std::move(applies));
  // Errors come back at once; do not spin on them until metadata changes.
  if (any_error)
    (void)co_await changed_.wait_until(*shard_,
                                       runtime::monotonic_ns() + 50 * runtime::k_ns_per_ms);
  co_return true;
}

task<void> replica_fetcher::apply(const std::string& topic, const kafka::fetched_partition& p) {
  std::shared_ptr<partition::partition_replica> r = find_(topic, p.index);
  if (r == nullptr || r->role() != partition::replica_role::follower ||
      r->leader_id() != options_.leader)
    co_return;
  if (p.diverging_epoch >= 0) {
    (void)co_await r->truncate_diverged(ids::offset{p.diverging_end_offset});
    co_return;
  }
  if (p.error == kafka::error_code::none) {
    partition::partition_errc e =
        co_await r->append_from_leader(p.records, ids::offset{p.high_watermark});
    if (e != partition::partition_errc::ok) {
      RILL_ERROR("replication", "%s-%d: appending %zu bytes from leader %d failed: %s",
                 topic.c_str(), p.index, p.records.size(), options_.leader,
                 partition::partition_errc_name(e));
    } else if (p.log_start_offset > r->log().log_start_offset()) {
      co_await r->follow_log_start(ids::offset{p.log_start_offset});  // DeleteRecords on the leader
    }
  } else if (p.error == kafka::error_code::offset_out_of_range &&
             r->log_end_offset() < p.log_start_offset) {
    RILL_WARN("replication",
              "%s-%d: leader's log starts at %lld, past ours; restarting the log there",
              topic.c_str(), p.index, static_cast<long long>(p.log_start_offset));
    (void)co_await r->reset_to(ids::offset{p.log_start_offset});
  } else {
    RILL_DEBUG("replication", "%s-%d: fetch from leader %d: error %d", topic.c_str(), p.index,
               options_.leader, static_cast<int>(p.error));
  }
}

}  // namespace rill::replication
