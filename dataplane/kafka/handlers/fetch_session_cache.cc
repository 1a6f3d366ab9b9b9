#include "dataplane/kafka/handlers/fetch_session_cache.h"

#include <algorithm>
#include <climits>

#include "base/assert.h"

namespace rill::kafka {

int32_t next_session_epoch(int32_t epoch) {
  return epoch >= INT32_MAX || epoch < 1 ? 1 : epoch + 1;
}

fetch_session_cache::fetch_session_cache(size_t slots, uint64_t eviction_idle_ns, uint64_t seed)
    : slots_(slots), eviction_idle_ns_(eviction_idle_ns), random_(static_cast<uint32_t>(seed)) {}

fetch_session_plan fetch_session_cache::begin(fetch_request& req, int16_t version,
                                              uint64_t now_ns) {
  fetch_session_plan plan;
  const bool full =
      req.session_epoch == k_initial_session_epoch || req.session_epoch == k_final_session_epoch;
  if (version < 7 || full) {
    // A full request names every partition it wants; it may close the
    // session it names, and epoch 0 opens a new one.
    if (version >= 7 && req.session_id != k_no_fetch_session) sessions_.erase(req.session_id);
    if (version >= 7 && req.session_epoch == k_initial_session_epoch)
      plan.session_id = open(req, now_ns);
    return plan;
  }
  auto it = sessions_.find(req.session_id);
  if (it == sessions_.end()) {
    plan.error = error_code::fetch_session_id_not_found;
    return plan;
  }
  session& s = it->second;
  if (req.session_epoch != s.next_epoch) {
    plan.error = error_code::invalid_fetch_session_epoch;
    return plan;
  }
  apply(s, req);
  s.next_epoch = next_session_epoch(s.next_epoch);
  s.last_used_ns = now_ns;
  plan.session_id = req.session_id;
  plan.incremental = true;
  req.topics = partitions_of(s);
  RILL_ASSERT(s.order.size() == s.index.size(), "fetch session %d: order and index disagree",
              req.session_id);
  return plan;
}

void fetch_session_cache::finish(const fetch_session_plan& plan, fetch_response& response) {
  if (plan.session_id == k_no_fetch_session) return;
  auto it = sessions_.find(plan.session_id);
  if (it == sessions_.end()) return;  // evicted meanwhile: the client will start anew
  session& s = it->second;
  std::vector<fetch_topic_response> kept_topics;
  for (fetch_topic_response& t : response.topics) {
    std::vector<fetch_partition_response> kept;
    for (fetch_partition_response& p : t.partitions) {
      auto e = s.index.find({t.name, p.index});
      if (e == s.index.end()) {
        kept.push_back(std::move(p));
        continue;
      }
      cached_partition& c = *e->second;
      const bool news = p.records.bytes > 0 || p.error != error_code::none ||
                        p.high_watermark != c.high_watermark ||
                        p.last_stable_offset != c.last_stable_offset ||
                        p.log_start_offset != c.log_start_offset || p.diverging_epoch >= 0 ||
                        p.current_leader_id >= 0;
      c.high_watermark = p.high_watermark;
      c.last_stable_offset = p.last_stable_offset;
      c.log_start_offset = p.log_start_offset;
      if (plan.incremental && p.records.bytes > 0)
        s.order.splice(s.order.end(), s.order, e->second);
      if (!plan.incremental || news) kept.push_back(std::move(p));
    }
    if (!kept.empty() || !plan.incremental) {
      t.partitions = std::move(kept);
      kept_topics.push_back(std::move(t));
    }
  }
  response.topics = std::move(kept_topics);
  response.session_id = plan.session_id;
}

size_t fetch_session_cache::partitions_in(int32_t session_id) const {
  auto it = sessions_.find(session_id);
  return it == sessions_.end() ? 0 : it->second.order.size();
}

int32_t fetch_session_cache::open(const fetch_request& req, uint64_t now_ns) {
  if (slots_ == 0) return k_no_fetch_session;
  if (sessions_.size() >= slots_) {
    auto lru = std::min_element(
        sessions_.begin(), sessions_.end(),
        [](const auto& a, const auto& b) { return a.second.last_used_ns < b.second.last_used_ns; });
    if (now_ns - lru->second.last_used_ns < eviction_idle_ns_) return k_no_fetch_session;
    sessions_.erase(lru);
  }
  int32_t id = fresh_id();
  session& s = sessions_[id];
  s.last_used_ns = now_ns;
  apply(s, req);
  RILL_ASSERT(sessions_.size() <= slots_, "fetch sessions %zu over %zu slots", sessions_.size(),
              slots_);
  return id;
}

void fetch_session_cache::apply(session& s, const fetch_request& req) {
  for (const forgotten_topic& t : req.forgotten_topics) {
    for (int32_t index : t.partitions) {
      auto e = s.index.find({t.name, index});
      if (e == s.index.end()) continue;
      s.order.erase(e->second);
      s.index.erase(e);
    }
  }
  for (const fetch_topic& t : req.topics) {
    for (const fetch_partition& p : t.partitions) {
      auto [e, added] = s.index.try_emplace({t.name, p.index});
      if (added) {
        e->second = s.order.insert(s.order.end(), cached_partition{.topic = t.name, .request = p});
      } else {
        e->second->request = p;
      }
    }
  }
}

std::vector<fetch_topic> fetch_session_cache::partitions_of(const session& s) {
  std::vector<fetch_topic> out;
  for (const cached_partition& c : s.order) {
    if (out.empty() || out.back().name != c.topic) out.push_back({c.topic, {}});
    out.back().partitions.push_back(c.request);
  }
  return out;
}

int32_t fetch_session_cache::fresh_id() {
  for (;;) {
    auto id = static_cast<int32_t>(random_() & 0x7fffffffU);
    if (id != k_no_fetch_session && !sessions_.contains(id)) return id;
  }
}

}  // namespace rill::kafka
