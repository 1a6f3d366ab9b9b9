#include "dataplane/node/controller_link.h"

#include <algorithm>

#include "base/byte_order.h"
#include "base/log.h"
#include "platform/net/framed.h"
#include "platform/net/tcp_listener.h"
#include "platform/runtime/clock.h"
#include "platform/runtime/uring_op.h"

namespace rill::partition {
namespace rpc = control::rpc;

namespace {

constexpr uint16_t k_link_buffer_group = 7;
constexpr uint64_t k_call_timeout_ns = 10'000 * runtime::k_ns_per_ms;
constexpr uint64_t k_register_timeout_ns = 3'000 * runtime::k_ns_per_ms;
constexpr uint64_t k_retry_ns = 300 * runtime::k_ns_per_ms;
constexpr int32_t k_poll_wait_ms = 5000;
// ISR changes per alter_partitions request (about 60 bytes each).
constexpr size_t k_isr_changes_per_request_max = 4096;

using control::rpc::decoded;
using control::rpc::encoded;

}  // namespace

controller_link::controller_link(runtime::shard& s, const broker_settings& settings,
                                 std::vector<net::socket_address> controllers,
                                 metadata_fn on_metadata, leadership_lease& lease)
    : shard_(&s),
      settings_(&settings),
      controllers_(std::move(controllers)),
      on_metadata_(std::move(on_metadata)),
      lease_(&lease) {
  buffers_ = std::make_unique<net::provided_buffer_ring>(
      s, net::buffer_ring_options{
             .group_id = k_link_buffer_group, .buffer_count = 64, .buffer_bytes = 64 * 1024});
}

void controller_link::start() {
  loops_running_ = 2;
  spawn(heartbeat_loop());
  spawn(metadata_loop());
}

task<bool> controller_link::ensure_connected(channel& ch) {
  if (ch.connection && !ch.connection->peer_closed() && ch.candidate == current_) co_return true;
  if (ch.connection) co_await drop(ch);
  auto fd = co_await net::tcp_connect(*shard_, controller(), 2000 * runtime::k_ns_per_ms);
  if (!fd.ok()) {
    next_candidate();
    co_return false;
  }
  ch.candidate = current_;
  ch.connection = std::make_unique<net::tcp_connection>(
      *shard_, fd.value(), buffers_.get(), net::connection_options{.input_bytes_max = 32 << 20});
  ch.connection->start_receiving();
  co_return true;
}

void controller_link::next_candidate() {
  if (controllers_.size() < 2) return;
  current_ = (current_ + 1) % controllers_.size();
  // A long poll parked on the old candidate ends now (it reconnects).
  if (poll_.connection && poll_.candidate != current_) poll_.connection->shutdown_read();
}

uint64_t controller_link::heartbeat_timeout_ns() const {
  // An unanswered heartbeat must end well inside the session timeout, so
  // that the next candidate can be tried while the lease still holds.
  uint64_t third = static_cast<uint64_t>(session_timeout_ms_) * runtime::k_ns_per_ms / 3;
  return session_timeout_ms_ > 0 ? std::min(k_call_timeout_ns, third) : k_register_timeout_ns;
}

task<void> controller_link::drop(channel& ch) {
  if (!ch.connection) co_return;
  std::unique_ptr<net::tcp_connection> c = std::move(ch.connection);
  co_await c->close();
}

task<std::optional<std::vector<uint8_t>>> controller_link::call(channel& ch, rpc::api key,
                                                                std::vector<uint8_t> body,
                                                                uint64_t timeout_ns) {
  while (ch.busy) co_await ch.free.wait(*shard_);
  ch.busy = true;
  std::optional<std::vector<uint8_t>> out;
  // A candidate that refuses the connection (dead, or a standby) costs
  // nothing to skip: try each once. A sent request is never retried here.
  bool connected = false;
  for (size_t tried = 0; tried < controllers_.size() && !connected; ++tried)
    connected = co_await ensure_connected(ch);
  if (connected) {
    int32_t correlation = ++ch.correlation;
    net::tcp_connection& c = *ch.connection;
    // A reply that does not come in time means a dead or stuck controller:
    // the connection is dropped, so a late reply can never be mistaken.
    std::optional<std::vector<uint8_t>> reply =
        co_await net::round_trip(c, rpc::frame_request(key, correlation, body),
                                 {.min_bytes = 4, .max_bytes = rpc::k_response_bytes_max},
                                 runtime::monotonic_ns() + timeout_ns);
    if (reply && static_cast<int32_t>(load_be32(reply->data())) == correlation) {
      reply->erase(reply->begin(), reply->begin() + 4);
      out = std::move(reply);
    } else {
      co_await drop(ch);
      if (&ch == &rpc_) next_candidate();
    }
  }
  ch.busy = false;
  ch.free.notify_all();
  co_return out;
}

task<bool> controller_link::register_once() {
  rpc::register_request req{
      settings_->broker_id, settings_->advertised_host, settings_->port,
      settings_->rack.empty() ? std::nullopt : std::optional<std::string>(settings_->rack)};
  uint64_t sent = runtime::monotonic_ns();
  auto resp = decoded<rpc::register_response>(
      co_await call(rpc_, rpc::api::register_broker, encoded(req), heartbeat_timeout_ns()));
  if (!resp || resp->error != 0) co_return false;
  broker_epoch_ = resp->broker_epoch;
  session_timeout_ms_ = resp->session_timeout_ms;
  note_lease(true, sent);
  RILL_INFO("broker", "registered with the controller at %s (broker epoch %lld)",
            controller().to_string().c_str(), static_cast<long long>(broker_epoch_));
  if (on_registered_) on_registered_();
  co_return true;
}

task<void> controller_link::heartbeat_loop() {
  runtime::work_guard guard(*shard_);
  bool warned = false;
  while (!stopping_) {
    if (broker_epoch_ < 0 && !co_await register_once()) {
      if (!warned)
        RILL_WARN("broker", "controller at %s unreachable; retrying",
                  controller().to_string().c_str());
      warned = true;
      co_await runtime::sleep_for(*shard_, k_retry_ns);
      continue;
    }
    warned = false;
    co_await runtime::sleep_for(
        *shard_, static_cast<uint64_t>(settings_->heartbeat_interval_ms) * runtime::k_ns_per_ms);
    if (stopping_) break;
    uint64_t sent = runtime::monotonic_ns();
    auto resp = decoded<rpc::heartbeat_response>(
        co_await call(rpc_, rpc::api::heartbeat,
                      encoded(rpc::heartbeat_request{settings_->broker_id, broker_epoch_, false}),
                      heartbeat_timeout_ns()));
    if (resp && resp->error == rpc::k_error_stale_broker_epoch) {
      RILL_WARN("broker", "the controller fenced this broker; registering again");
      broker_epoch_ = -1;
      lease_->revoke();
    }
    note_lease(resp && resp->error == 0, sent);
  }
  if (--loops_running_ == 0) loops_done_.notify_all();
}

void controller_link::note_lease(bool renewed, uint64_t sent_ns) {
  if (renewed) {
    lease_->renew(sent_ns, session_timeout_ms_);
    if (lease_lapsed_logged_) {
      RILL_INFO("broker", "the controller answers again: leadership lease renewed");
    }
    lease_lapsed_logged_ = false;
  } else if (!lease_->valid(runtime::monotonic_ns()) && !lease_lapsed_logged_) {
    lease_lapsed_logged_ = true;
    RILL_WARN("broker",
              "no answer from the controller at %s within the leadership lease (4/5 of its %lld "
              "ms session timeout): this broker stops leading partitions until it answers",
              controller().to_string().c_str(), static_cast<long long>(session_timeout_ms_));
  }
}

task<void> controller_link::metadata_loop() {
  runtime::work_guard guard(*shard_);
  while (!stopping_) {
    auto resp = decoded<rpc::fetch_metadata_response>(
        co_await call(poll_, rpc::api::fetch_metadata,
                      encoded(rpc::fetch_metadata_request{known_epoch_, k_poll_wait_ms}),
                      (k_poll_wait_ms + 5000) * runtime::k_ns_per_ms));
    if (!resp) {
      if (!stopping_) co_await runtime::sleep_for(*shard_, k_retry_ns);
      continue;
    }
    if (resp->epoch > known_epoch_ && (resp->snapshot || !resp->deltas.empty())) {
      control::snapshot_ptr s = next_snapshot(*resp);
      if (!s) {
        known_epoch_ = -1;  // ask for the whole snapshot
        co_await runtime::sleep_for(*shard_, k_retry_ns);
        continue;
      }
      known_epoch_ = s->epoch;
      known_ = s;
      co_await on_metadata_(std::move(s));
    }
  }
  if (--loops_running_ == 0) loops_done_.notify_all();
}

task<std::optional<rpc::topics_response>> controller_link::create_topics(
    rpc::create_topics_request req) {
  co_return decoded<rpc::topics_response>(
      co_await call(rpc_, rpc::api::create_topics, encoded(req), k_call_timeout_ns));
}

task<std::optional<rpc::topics_response>> controller_link::delete_topics(
    rpc::delete_topics_request req) {
  co_return decoded<rpc::topics_response>(
      co_await call(rpc_, rpc::api::delete_topics, encoded(req), k_call_timeout_ns));
}

task<std::optional<rpc::topics_response>> controller_link::alter_topic_config(
    rpc::alter_topic_config_request req) {
  co_return decoded<rpc::topics_response>(
      co_await call(rpc_, rpc::api::alter_topic_config, encoded(req), k_call_timeout_ns));
}

task<std::optional<rpc::topics_response>> controller_link::create_partitions(
    rpc::create_partitions_request req) {
  co_return decoded<rpc::topics_response>(
      co_await call(rpc_, rpc::api::create_partitions, encoded(req), k_call_timeout_ns));
}

task<std::optional<rpc::topics_response>> controller_link::alter_reassignments(
    rpc::alter_reassignments_request req) {
  co_return decoded<rpc::topics_response>(
      co_await call(rpc_, rpc::api::alter_reassignments, encoded(req), k_call_timeout_ns));
}

control::snapshot_ptr controller_link::next_snapshot(
    const rpc::fetch_metadata_response& resp) const {
  auto s = std::make_shared<control::cluster_snapshot>();
  if (resp.snapshot) {
    if (!control::parse_snapshot(*resp.snapshot, s.get())) {
      RILL_ERROR("broker", "controller sent metadata that does not parse (epoch %lld)",
                 static_cast<long long>(resp.epoch));
      return nullptr;
    }
    return s;
  }
  if (!known_) return nullptr;
  *s = *known_;
  for (const std::string& delta : resp.deltas) {
    if (!control::apply_delta(delta, s.get())) {
      RILL_ERROR("broker",
                 "a metadata delta from the controller does not apply to epoch %lld; asking for "
                 "the whole snapshot",
                 static_cast<long long>(s->epoch));
      return nullptr;
    }
  }
  if (s->epoch != resp.epoch) {
    RILL_ERROR("broker", "metadata deltas led to epoch %lld, not %lld; asking for the snapshot",
               static_cast<long long>(s->epoch), static_cast<long long>(resp.epoch));
    return nullptr;
  }
  return s;
}

task<std::optional<rpc::alter_partition_response>> controller_link::alter_partition(
    rpc::alter_partition_request req) {
  isr_change change{std::move(req), std::nullopt, false};
  isr_changes_waiting_.push_back(&change);
  if (!isr_sender_running_) {
    isr_sender_running_ = true;
    spawn(send_isr_changes());
  }
  while (!change.answered) co_await isr_changes_answered_.wait(*shard_);
  co_return std::move(change.response);
}

task<void> controller_link::send_isr_changes() {
  runtime::work_guard guard(*shard_);
  while (!isr_changes_waiting_.empty()) {
    size_t n = std::min(isr_changes_waiting_.size(), k_isr_changes_per_request_max);
    std::vector<isr_change*> batch(isr_changes_waiting_.begin(),
                                   isr_changes_waiting_.begin() + static_cast<std::ptrdiff_t>(n));
    isr_changes_waiting_.erase(isr_changes_waiting_.begin(),
                               isr_changes_waiting_.begin() + static_cast<std::ptrdiff_t>(n));
    rpc::alter_partitions_request req;
    for (const isr_change* c : batch) req.partitions.push_back(c->request);
    auto resp = decoded<rpc::alter_partitions_response>(
        co_await call(rpc_, rpc::api::alter_partitions, encoded(req), k_call_timeout_ns));
    bool whole = resp && resp->partitions.size() == batch.size();
    if (resp && !whole) {
      RILL_ERROR("broker", "the controller answered %zu of %zu ISR changes; treating all as failed",
                 resp->partitions.size(), batch.size());
    }
    for (size_t i = 0; i < batch.size(); ++i) {
      if (whole) batch[i]->response = std::move(resp->partitions[i]);
      batch[i]->answered = true;
    }
    isr_changes_answered_.notify_all();
  }
  isr_sender_running_ = false;
}

task<std::optional<rpc::elect_preferred_response>> controller_link::elect_preferred() {
  co_return decoded<rpc::elect_preferred_response>(
      co_await call(rpc_, rpc::api::elect_preferred, {}, k_call_timeout_ns));
}

task<std::optional<rpc::allocate_producer_ids_response>> controller_link::allocate_producer_ids() {
  if (broker_epoch_ < 0) co_return std::nullopt;
  rpc::allocate_producer_ids_request req{settings_->broker_id, broker_epoch_};
  co_return decoded<rpc::allocate_producer_ids_response>(
      co_await call(rpc_, rpc::api::allocate_producer_ids, encoded(req), k_call_timeout_ns));
}

task<bool> controller_link::report_replica_state(std::string topic, int32_t partition,
                                                 bool offline) {
  if (broker_epoch_ < 0) co_return false;  // registering: reported after it (on_registered)
  rpc::report_replica_state_request req{settings_->broker_id, broker_epoch_, std::move(topic),
                                        partition, offline};
  auto resp = decoded<rpc::report_replica_state_response>(
      co_await call(rpc_, rpc::api::report_replica_state, encoded(req), k_call_timeout_ns));
  co_return resp && resp->error == 0;
}

task<void> controller_link::controlled_shutdown(int64_t timeout_ms) {
  // A controller that does not answer several calls in a row is gone (or
  // stopping with us): the broker stops without its help rather than
  // waiting out the whole timeout; the controller fences it by session.
  constexpr int k_unanswered_max = 3;
  uint64_t deadline =
      runtime::monotonic_ns() + static_cast<uint64_t>(timeout_ms) * runtime::k_ns_per_ms;
  int unanswered = 0;
  while (broker_epoch_ >= 0 && runtime::monotonic_ns() < deadline) {
    auto resp = decoded<rpc::heartbeat_response>(
        co_await call(rpc_, rpc::api::heartbeat,
                      encoded(rpc::heartbeat_request{settings_->broker_id, broker_epoch_, true}),
                      2000 * runtime::k_ns_per_ms));
    if (resp && resp->shutdown_ready) {
      RILL_INFO("broker", "controlled shutdown accepted by the controller");
      co_return;
    }
    unanswered = resp ? 0 : unanswered + 1;
    if (unanswered == k_unanswered_max) {
      RILL_WARN("broker",
                "controlled shutdown: the controller did not answer %d calls; stopping "
                "without it",
                k_unanswered_max);
      co_return;
    }
    co_await runtime::sleep_for(*shard_, 200 * runtime::k_ns_per_ms);
  }
  if (broker_epoch_ >= 0) {
    RILL_WARN("broker", "controlled shutdown not accepted within %lld ms; stopping anyway",
              static_cast<long long>(timeout_ms));
  }
}

task<void> controller_link::stop() {
  stopping_ = true;
  if (rpc_.connection) rpc_.connection->shutdown_read();
  if (poll_.connection) poll_.connection->shutdown_read();
  while (loops_running_ > 0) co_await loops_done_.wait(*shard_);
  while (rpc_.busy) co_await rpc_.free.wait(*shard_);
  while (poll_.busy) co_await poll_.free.wait(*shard_);
  co_await drop(rpc_);
  co_await drop(poll_);
}

}  // namespace rill::partition
