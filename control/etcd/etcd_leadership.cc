#include "control/etcd/etcd_leadership.h"

#include <chrono>
#include <cstdio>

#include "base/log.h"

namespace rill::control::etcd {

etcd_leadership::etcd_leadership(endpoint e, std::string prefix, std::string candidate,
                                 int64_t ttl_s)
    : client_(std::move(e)),
      prefix_(std::move(prefix)),
      leader_key_(prefix_ + "/leader"),
      candidate_(std::move(candidate)),
      ttl_s_(ttl_s) {}

etcd_leadership::~etcd_leadership() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

void etcd_leadership::start() {
  thread_ = std::thread([this] { run(); });
}

bool etcd_leadership::sleep_ms(int64_t ms) {
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (!stopping_ && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  return !stopping_;
}

void etcd_leadership::run() {
  int64_t lease = 0;
  bool announced_standby = false;
  bool etcd_warned = false;
  while (!stopping_ && !leading_) {
    if (lease == 0) {
      auto granted = client_.grant_lease(ttl_s_);
      if (!granted) {
        if (!etcd_warned) {
          RILL_WARN("controller", "etcd at %s:%u does not grant a lease; retrying every 500 ms",
                    client_.where().host.c_str(), client_.where().port);
          etcd_warned = true;
        }
        if (!sleep_ms(500)) return;
        continue;
      }
      etcd_warned = false;
      lease = *granted;
    }
    auto c = client_.campaign(leader_key_, candidate_, lease);
    if (c && c->won) {
      revision_ = c->create_revision;
      leading_ = true;
      RILL_INFO("controller",
                "won the etcd election for %s as %s (revision %lld, lease ttl %lld s)",
                leader_key_.c_str(), candidate_.c_str(), static_cast<long long>(c->create_revision),
                static_cast<long long>(ttl_s_));
      break;
    }
    if (c && !announced_standby) {
      RILL_INFO("controller", "standby: %s holds %s", c->holder.c_str(), leader_key_.c_str());
      announced_standby = true;
    }
    // Our own lease may have expired while waiting; keep it alive too.
    auto ttl = client_.keep_alive(lease);
    if (ttl && *ttl <= 0) lease = 0;
    if (!sleep_ms(250)) return;
  }
  auto confirmed = std::chrono::steady_clock::now();
  while (!stopping_ && !lost_) {
    if (!sleep_ms(ttl_s_ * 1000 / 3)) return;
    auto ttl = client_.keep_alive(lease);
    auto now = std::chrono::steady_clock::now();
    if (ttl && *ttl > 0) {
      confirmed = now;
      continue;
    }
    if ((ttl && *ttl <= 0) || now - confirmed >= std::chrono::seconds(ttl_s_)) {
      RILL_ERROR("controller",
                 "etcd no longer confirms this controller's lease: leadership of %s lost",
                 leader_key_.c_str());
      mark_lost();
    }
  }
}

task<std::optional<stored_metadata>> etcd_metadata_store::load() {
  co_return co_await worker_.run<std::optional<stored_metadata>>(
      [this]() -> std::optional<stored_metadata> {
        auto snapshot = leadership_->client().get(leadership_->prefix() + "/metadata");
        if (!snapshot) return std::nullopt;
        auto log = leadership_->client().get_prefix(log_prefix());
        if (!log) return std::nullopt;
        stored_metadata out{std::move(*snapshot), {}};
        for (etcd_key_value& kv : *log) out.deltas.push_back(std::move(kv.value));
        return out;
      });
}

std::string etcd_metadata_store::log_key(int64_t epoch) const {
  char digits[24];
  snprintf(digits, sizeof(digits), "%020lld", static_cast<long long>(epoch));
  return log_prefix() + digits;
}

bool etcd_metadata_store::write(const std::vector<etcd_write>& writes) {
  if (!leadership_->leading()) return false;
  auto r = leadership_->client().guarded_write(leadership_->leader_key(), leadership_->candidate(),
                                               leadership_->revision(), writes);
  if (r == guarded_put_result::not_leader) {
    RILL_ERROR("controller",
               "etcd refused a metadata write: %s is no longer held by this controller (a newer "
               "one took over)",
               leadership_->leader_key().c_str());
    leadership_->mark_lost();
  }
  return r == guarded_put_result::ok;
}

task<bool> etcd_metadata_store::append(int64_t epoch, std::string delta) {
  std::vector<etcd_write> writes{{log_key(epoch), std::move(delta)}};
  co_return co_await worker_.run<bool>([this, &writes] { return write(writes); });
}

task<bool> etcd_metadata_store::save_snapshot(int64_t epoch, std::string snapshot) {
  std::vector<etcd_write> writes{{leadership_->prefix() + "/metadata", std::move(snapshot)},
                                 {log_prefix(), "", true, log_key(epoch + 1)}};
  co_return co_await worker_.run<bool>([this, &writes] { return write(writes); });
}

std::string etcd_metadata_store::describe() const {
  return "etcd " + leadership_->prefix() + "/metadata and " + log_prefix();
}

}  // namespace rill::control::etcd
