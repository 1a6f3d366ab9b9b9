#include "control/metadata_service.h"

#include <algorithm>

#include "base/assert.h"
#include "base/log.h"
#include "control/replica_assignment.h"
#include "control/topic_config.h"

namespace rill::control {
namespace {

// Below this many bytes of deltas the log is never compacted (small
// clusters would otherwise write a snapshot at every change).
constexpr size_t k_log_bytes_min = 64 << 10;
// Deltas kept in memory for brokers following the metadata.
constexpr size_t k_recent_deltas_max = 4096;

}  // namespace

const char* topic_errc_name(topic_errc e) {
  switch (e) {
    case topic_errc::ok:
      return "ok";
    case topic_errc::already_exists:
      return "topic already exists";
    case topic_errc::unknown_topic:
      return "unknown topic";
    case topic_errc::invalid_name:
      return "invalid topic name";
    case topic_errc::invalid_partitions:
      return "invalid number of partitions";
    case topic_errc::invalid_replication_factor:
      return "invalid replication factor";
    case topic_errc::invalid_config:
      return "invalid topic config";
    case topic_errc::not_enough_brokers:
      return "not enough live brokers";
    case topic_errc::storage_error:
      return "metadata store write failed";
    case topic_errc::controller_unavailable:
      return "controller unavailable";
    case topic_errc::invalid_replica_assignment:
      return "invalid replica assignment";
  }
  return "?";
}

metadata_service::metadata_service(storage::file_io& io, metadata_service_options options)
    : options_(std::move(options)), snapshot_(std::make_shared<cluster_snapshot>()) {
  if (options_.store == nullptr) {
    own_store_ = std::make_unique<file_metadata_store>(io, options_.dir);
    store_ = own_store_.get();
  } else {
    store_ = options_.store;
  }
}

task<topic_errc> metadata_service::load() {
  auto stored = co_await store_->load();
  if (!stored) {
    RILL_ERROR("control", "cannot read the metadata from %s", store_->describe().c_str());
    co_return topic_errc::storage_error;
  }
  auto s = std::make_shared<cluster_snapshot>();
  if (stored->snapshot && !parse_snapshot(*stored->snapshot, s.get())) {
    RILL_ERROR("control", "%s is damaged; refusing to start with a guessed cluster",
               store_->describe().c_str());
    co_return topic_errc::storage_error;
  }
  snapshot_bytes_ = stored->snapshot ? stored->snapshot->size() : 0;
  log_bytes_ = 0;
  size_t replayed = 0;
  for (const std::string& delta : stored->deltas) {
    if (delta_epoch(delta) <= s->epoch) continue;  // the snapshot covers it
    if (!apply_delta(delta, s.get())) {
      RILL_ERROR("control",
                 "the metadata delta after epoch %lld in %s is damaged; refusing to start with a "
                 "guessed cluster",
                 static_cast<long long>(s->epoch), store_->describe().c_str());
      co_return topic_errc::storage_error;
    }
    log_bytes_ += delta.size();
    ++replayed;
  }
  if (s->cluster_id.empty()) s->cluster_id = options_.cluster_id;
  next_start_index_ = static_cast<int32_t>(s->topics.size());
  snapshot_ = s;
  recent_deltas_.clear();
  RILL_INFO("control",
            "metadata loaded: epoch %lld (a snapshot and %zu deltas), %zu brokers, %zu topics",
            static_cast<long long>(s->epoch), replayed, s->brokers.size(), s->topics.size());
  co_return topic_errc::ok;
}

task<topic_errc> metadata_service::publish(std::shared_ptr<cluster_snapshot> next) {
  next->epoch = snapshot_->epoch + 1;
  std::string delta = serialize_delta(*snapshot_, *next);
  if (!co_await store_change(*next, delta)) {
    RILL_ERROR("control", "writing metadata epoch %lld to %s failed; the change is not applied",
               static_cast<long long>(next->epoch), store_->describe().c_str());
    co_return topic_errc::storage_error;
  }
  remember(next->epoch, std::move(delta));
  snapshot_ = next;
  co_return topic_errc::ok;
}

task<bool> metadata_service::store_change(const cluster_snapshot& next, const std::string& delta) {
  if (log_bytes_ + delta.size() <= std::max(k_log_bytes_min, snapshot_bytes_)) {
    if (!co_await store_->append(next.epoch, delta)) co_return false;
    log_bytes_ += delta.size();
    ++counters_.deltas_appended;
    counters_.bytes_written += delta.size();
    co_return true;
  }
  std::string text = serialize_snapshot(next);
  if (!co_await store_->save_snapshot(next.epoch, text)) co_return false;
  snapshot_bytes_ = text.size();
  log_bytes_ = 0;
  ++counters_.snapshots_written;
  counters_.bytes_written += text.size();
  co_return true;
}

void metadata_service::remember(int64_t epoch, std::string delta) {
  RILL_ASSERT(recent_deltas_.empty() || recent_deltas_.back().first + 1 == epoch,
              "metadata delta %lld does not follow %lld", static_cast<long long>(epoch),
              static_cast<long long>(recent_deltas_.back().first));
  recent_deltas_.emplace_back(epoch, std::make_shared<const std::string>(std::move(delta)));
  if (recent_deltas_.size() > k_recent_deltas_max) recent_deltas_.pop_front();
}

std::optional<std::vector<metadata_service::delta_ptr>> metadata_service::deltas_after(
    int64_t known_epoch) const {
  if (known_epoch >= snapshot_->epoch) return std::vector<delta_ptr>{};
  if (recent_deltas_.empty() || known_epoch + 1 < recent_deltas_.front().first || known_epoch < 0)
    return std::nullopt;
  std::vector<delta_ptr> out;
  for (const auto& [epoch, delta] : recent_deltas_) {
    if (epoch > known_epoch) out.push_back(delta);
  }
  RILL_ASSERT(out.size() == static_cast<size_t>(snapshot_->epoch - known_epoch),
              "%zu deltas from epoch %lld to %lld", out.size(), static_cast<long long>(known_epoch),
              static_cast<long long>(snapshot_->epoch));
  return out;
}

task<void> metadata_service::lock() {
  while (busy_) co_await idle_.wait();
  busy_ = true;
}

void metadata_service::unlock() {
  busy_ = false;
  idle_.notify_all();
}

task<topic_errc> metadata_service::update(std::function<bool(cluster_snapshot&)> mutate) {
  co_await lock();
  unlock_on_exit guard{this};
  auto next = std::make_shared<cluster_snapshot>(*snapshot_);
  topic_errc e = mutate(*next) ? co_await publish(next) : topic_errc::ok;
  co_return e;
}

task<topic_errc> metadata_service::upsert_broker(broker_info broker) {
  co_return co_await update([broker](cluster_snapshot& s) {
    auto it = s.brokers.find(broker.id);
    if (it != s.brokers.end() && it->second.host == broker.host && it->second.port == broker.port &&
        it->second.rack == broker.rack && it->second.alive == broker.alive) {
      return false;
    }
    s.brokers[broker.id] = broker;
    return true;
  });
}

namespace {

// A manually assigned replica list: rf distinct brokers the cluster knows.
bool placeable(const std::vector<int32_t>& replicas, size_t rf, const cluster_snapshot& s) {
  std::vector<int32_t> sorted = replicas;
  std::sort(sorted.begin(), sorted.end());
  bool distinct = std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end();
  bool known = std::all_of(replicas.begin(), replicas.end(),
                           [&](int32_t b) { return s.brokers.count(b) == 1; });
  return replicas.size() == rf && distinct && known;
}

// The brokers replicas may be placed on.
std::vector<placement_broker> live_brokers(const cluster_snapshot& s) {
  std::vector<placement_broker> live;
  for (const auto& [id, b] : s.brokers) {
    if (b.alive) live.push_back({id, b.rack});
  }
  return live;
}

// The leader of a new partition: its first replica whose broker is alive.
int32_t first_alive(const cluster_snapshot& s, const std::vector<int32_t>& replicas) {
  for (int32_t r : replicas) {
    auto b = s.brokers.find(r);
    if (b != s.brokers.end() && b->second.alive) return r;
  }
  return -1;
}

}  // namespace

topic_outcome metadata_service::validate(const topic_spec& spec, const cluster_snapshot& s) const {
  topic_outcome out{spec.name, topic_errc::ok, ""};
  int32_t live = 0;
  for (const auto& [id, b] : s.brokers) live += b.alive ? 1 : 0;
  if (!valid_topic_name(spec.name)) {
    out = {spec.name, topic_errc::invalid_name, "topic names use [a-zA-Z0-9._-], 1-249 chars"};
  } else if (s.find_topic(spec.name) != nullptr) {
    out = {spec.name, topic_errc::already_exists, "topic '" + spec.name + "' already exists"};
  } else if (!spec.assignments.empty()) {
    out = validate_assignment(spec, s);
  } else if (spec.partitions == 0 || spec.partitions < -1 ||
             spec.partitions > options_.partitions_max) {
    out = {spec.name, topic_errc::invalid_partitions, "partitions must be in [1, partitions_max]"};
  } else if (spec.replication_factor == 0 || spec.replication_factor < -1) {
    out = {spec.name, topic_errc::invalid_replication_factor, "replication factor must be >= 1"};
  } else {
    int32_t rf =
        spec.replication_factor < 0 ? options_.default_replication_factor : spec.replication_factor;
    if (rf > options_.replication_factor_max) {
      out = {spec.name, topic_errc::invalid_replication_factor,
             "replication factor " + std::to_string(rf) + " above " +
                 std::to_string(options_.replication_factor_max) + ": " +
                 options_.replication_factor_max_reason};
    } else if (rf > live) {
      out = {spec.name, topic_errc::invalid_replication_factor,
             "replication factor " + std::to_string(rf) + " larger than the " +
                 std::to_string(live) + " live brokers"};
    }
  }
  for (const auto& [key, value] : spec.configs) {
    if (out.error != topic_errc::ok) break;
    if (auto problem = validate_topic_config(key, value)) {
      out = {spec.name, topic_errc::invalid_config, *problem};
    }
  }
  return out;
}

task<std::vector<topic_outcome>> metadata_service::create_topics(std::vector<topic_spec> specs,
                                                                 bool validate_only) {
  co_await lock();
  unlock_on_exit guard{this};
  std::vector<topic_outcome> outcomes;
  auto next = std::make_shared<cluster_snapshot>(*snapshot_);
  std::vector<placement_broker> live = live_brokers(*next);
  for (const topic_spec& spec : specs) {
    topic_outcome o = validate(spec, *next);
    outcomes.push_back(o);
    if (o.error != topic_errc::ok || validate_only) continue;
    int32_t partitions = spec.partitions < 0 ? options_.default_partitions : spec.partitions;
    int32_t rf =
        spec.replication_factor < 0 ? options_.default_replication_factor : spec.replication_factor;
    topic_info t{spec.name, random_topic_id(), {}, {}};
    for (const auto& [k, v] : spec.configs) t.configs[k] = v;
    std::vector<std::vector<int32_t>> placement = spec.assignments;
    if (placement.empty()) placement = assign_replicas(live, partitions, rf, next_start_index_++);
    for (size_t p = 0; p < placement.size(); ++p) {
      partition_info info;
      info.index = static_cast<int32_t>(p);
      info.replicas = placement[p];
      info.leader = first_alive(*next, info.replicas);
      info.isr = info.leader >= 0 ? info.replicas : std::vector<int32_t>{};
      t.partitions.push_back(info);
    }
    next->topics[spec.name] = std::move(t);
  }
  if (validate_only) co_return outcomes;
  bool any = false;
  for (const topic_outcome& o : outcomes) any = any || o.error == topic_errc::ok;
  if (!any) co_return outcomes;
  topic_errc e = co_await publish(next);
  if (e != topic_errc::ok) {
    for (topic_outcome& o : outcomes) {
      if (o.error == topic_errc::ok) o = {o.name, e, topic_errc_name(e)};
    }
  }
  co_return outcomes;
}

task<std::vector<topic_outcome>> metadata_service::delete_topics(std::vector<std::string> names) {
  co_await lock();
  unlock_on_exit guard{this};
  std::vector<topic_outcome> outcomes;
  auto next = std::make_shared<cluster_snapshot>(*snapshot_);
  for (const std::string& name : names) {
    if (next->topics.erase(name) == 1) {
      outcomes.push_back({name, topic_errc::ok, ""});
    } else {
      outcomes.push_back({name, topic_errc::unknown_topic, "unknown topic " + name});
    }
  }
  topic_errc e = co_await publish(next);
  if (e != topic_errc::ok) {
    for (topic_outcome& o : outcomes) o = {o.name, e, topic_errc_name(e)};
  }
  co_return outcomes;
}

topic_outcome metadata_service::validate_assignment(const topic_spec& spec,
                                                    const cluster_snapshot& s) const {
  auto refuse = [&](const std::string& why) {
    return topic_outcome{spec.name, topic_errc::invalid_replica_assignment, why};
  };
  if (spec.partitions != -1 || spec.replication_factor != -1) {
    return refuse("a manual assignment leaves the partition count and replication factor at -1");
  }
  if (static_cast<int32_t>(spec.assignments.size()) > options_.partitions_max) {
    return refuse("at most " + std::to_string(options_.partitions_max) + " partitions");
  }
  size_t rf = spec.assignments.front().size();
  if (rf == 0 || static_cast<int32_t>(rf) > options_.replication_factor_max) {
    return refuse("replication factor " + std::to_string(rf) + " out of [1, " +
                  std::to_string(options_.replication_factor_max) + "]");
  }
  for (const std::vector<int32_t>& replicas : spec.assignments) {
    if (!placeable(replicas, rf, s)) {
      return refuse("each partition needs " + std::to_string(rf) + " distinct, known brokers");
    }
  }
  return {spec.name, topic_errc::ok, ""};
}

topic_outcome metadata_service::validate_increase(const partition_increase& inc,
                                                  const cluster_snapshot& s) const {
  const topic_info* t = s.find_topic(inc.name);
  if (t == nullptr) return {inc.name, topic_errc::unknown_topic, "unknown topic " + inc.name};
  auto current = static_cast<int32_t>(t->partitions.size());
  if (inc.count <= current) {
    return {inc.name, topic_errc::invalid_partitions,
            "the topic has " + std::to_string(current) + " partitions; " +
                std::to_string(inc.count) + " is not more"};
  }
  if (inc.count > options_.partitions_max) {
    return {inc.name, topic_errc::invalid_partitions,
            "at most " + std::to_string(options_.partitions_max) + " partitions"};
  }
  size_t rf = t->partitions.empty() ? 1 : t->partitions.front().replicas.size();
  int32_t live = 0;
  for (const auto& [id, b] : s.brokers) live += b.alive ? 1 : 0;
  if (inc.assignments.empty()) {
    if (static_cast<int32_t>(rf) > live) {
      return {inc.name, topic_errc::invalid_replication_factor,
              "replication factor " + std::to_string(rf) + " larger than the " +
                  std::to_string(live) + " live brokers"};
    }
    return {inc.name, topic_errc::ok, ""};
  }
  if (static_cast<int32_t>(inc.assignments.size()) != inc.count - current) {
    return {inc.name, topic_errc::invalid_replica_assignment,
            std::to_string(inc.assignments.size()) + " assignments for " +
                std::to_string(inc.count - current) + " new partitions"};
  }
  for (const std::vector<int32_t>& replicas : inc.assignments) {
    if (!placeable(replicas, rf, s)) {
      return {inc.name, topic_errc::invalid_replica_assignment,
              "each new partition needs " + std::to_string(rf) + " distinct, known brokers"};
    }
  }
  return {inc.name, topic_errc::ok, ""};
}

task<std::vector<topic_outcome>> metadata_service::create_partitions(
    std::vector<partition_increase> increases, bool validate_only) {
  co_await lock();
  unlock_on_exit guard{this};
  std::vector<topic_outcome> outcomes;
  auto next = std::make_shared<cluster_snapshot>(*snapshot_);
  std::vector<placement_broker> live = live_brokers(*next);
  for (const partition_increase& inc : increases) {
    topic_outcome o = validate_increase(inc, *next);
    outcomes.push_back(o);
    if (o.error != topic_errc::ok || validate_only) continue;
    topic_info& t = next->topics[inc.name];
    auto current = static_cast<int32_t>(t.partitions.size());
    auto rf = static_cast<int32_t>(t.partitions.front().replicas.size());
    std::vector<std::vector<int32_t>> placement = inc.assignments;
    if (placement.empty()) {
      auto all = assign_replicas(live, inc.count, rf, next_start_index_++);
      placement.assign(all.begin() + current, all.end());
    }
    for (int32_t p = current; p < inc.count; ++p) {
      partition_info info;
      info.index = p;
      info.replicas = placement[static_cast<size_t>(p - current)];
      info.leader = first_alive(*next, info.replicas);
      info.isr = info.leader >= 0 ? info.replicas : std::vector<int32_t>{};
      t.partitions.push_back(std::move(info));
    }
    RILL_ASSERT(static_cast<int32_t>(t.partitions.size()) == inc.count,
                "%s grew to %zu partitions, not %d", inc.name.c_str(), t.partitions.size(),
                inc.count);
  }
  bool any = false;
  for (const topic_outcome& o : outcomes) any = any || o.error == topic_errc::ok;
  if (validate_only || !any) co_return outcomes;
  topic_errc e = co_await publish(next);
  if (e != topic_errc::ok) {
    for (topic_outcome& o : outcomes) {
      if (o.error == topic_errc::ok) o = {o.name, e, topic_errc_name(e)};
    }
  }
  co_return outcomes;
}

task<topic_outcome> metadata_service::alter_topic_config(std::string name,
                                                         topic_config_change change) {
  co_await lock();
  unlock_on_exit guard{this};
  if (snapshot_->find_topic(name) == nullptr) {
    co_return topic_outcome{name, topic_errc::unknown_topic, "unknown topic " + name};
  }
  for (const auto& [k, v] : change.set) {
    if (auto problem = validate_topic_config(k, v)) {
      co_return topic_outcome{name, topic_errc::invalid_config, *problem};
    }
  }
  auto next = std::make_shared<cluster_snapshot>(*snapshot_);
  std::map<std::string, std::string>& configs = next->topics[name].configs;
  if (change.mode == config_alter_mode::replace) configs.clear();
  for (const auto& [k, v] : change.set) configs[k] = v;
  for (const std::string& k : change.removed) configs.erase(k);
  topic_errc e = co_await publish(next);
  co_return topic_outcome{name, e, e == topic_errc::ok ? "" : topic_errc_name(e)};
}

}  // namespace rill::control
