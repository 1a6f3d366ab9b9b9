#include "dataplane/node/shard_state.h"

#include "control/topic_config.h"

#include <sys/statvfs.h>

#include <fstream>
#include <functional>
#include <set>
#include <vector>

#include "base/assert.h"
#include "base/config.h"
#include "base/log.h"
#include "platform/runtime/clock.h"
#include "platform/runtime/runtime.h"
#include "platform/runtime/uring_op.h"
#include "platform/runtime/when_all.h"

namespace rill::partition {
namespace {

thread_local shard_state* t_local = nullptr;

// Partitions idle this long give back preallocated space beyond their first window,
// checked this often.
constexpr int64_t k_idle_reservation_ms = 60'000;
constexpr uint64_t k_trim_check_ns = 10'000 * runtime::k_ns_per_ms;

}  // namespace

std::string topic_config_value(const control::topic_info& topic, const std::string& key,
                               const std::string& fallback) {
  auto it = topic.configs.find(key);
  return it == topic.configs.end() ? fallback : it->second;
}

shard_state::shard_state(runtime::shard& s, const broker_settings& settings)
    : shard_(&s),
      settings_(&settings),
      io_(s),
      staging_(settings.shard_staging_bytes(),
               std::min<uint64_t>(settings.shard_staging_bytes() / 4, 64ULL << 20)),
      hot_tails_(settings.shard_hot_tail_bytes()),
      reservations_(settings.preallocate_total_bytes / std::max<uint32_t>(settings.shards, 1)),
      snapshot_(std::make_shared<control::cluster_snapshot>()) {
  RILL_ASSERT(t_local == nullptr, "two shard_states on one thread");
  t_local = this;
  io_.set_writes_in_flight_max(settings.disk_writes_in_flight_max);
}

storage::file_io& shard_state::log_io() {
  if (settings_->disk_fault_file.empty()) return io_;
  if (!fault_io_) fault_io_ = std::make_unique<storage::faulty_file_io>(&io_);
  return *fault_io_;
}

void shard_state::apply_disk_fault_file() {
  if (settings_->disk_fault_file.empty()) return;
  storage::faulty_file_io& faults = static_cast<storage::faulty_file_io&>(log_io());
  std::string word;
  if (std::ifstream in(settings_->disk_fault_file); in) in >> word;
  storage::io_errc wanted = word == "eio"      ? storage::io_errc::io_error
                            : word == "enospc" ? storage::io_errc::no_space
                                               : storage::io_errc::ok;
  if (!word.empty() && wanted == storage::io_errc::ok && word != last_fault_word_) {
    RILL_WARN("partition",
              "test.disk.fault.file says '%s': not a fault (eio or enospc); none injected",
              word.c_str());
  }
  last_fault_word_ = word;
  if (wanted != faults.mutation_failure()) {
    RILL_WARN("partition", "test.disk.fault.file: log writes now %s",
              wanted == storage::io_errc::ok ? "succeed" : storage::io_errc_name(wanted));
    faults.fail_mutations(wanted);
  }
}

void shard_state::check_health() {
  bool any_unhealthy = false;
  for (const auto& [k, p] : partitions_) any_unhealthy |= p->health() != log_health::healthy;
  if (!any_unhealthy) return;  // the usual case: no statvfs every tick
  struct statvfs fs {};
  uint64_t free_bytes = 0;
  uint64_t disk_bytes = 0;
  if (statvfs(settings_->data_dir.c_str(), &fs) == 0) {
    free_bytes = static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
    disk_bytes = static_cast<uint64_t>(fs.f_blocks) * fs.f_frsize;
  }
  if (fault_io_ && fault_io_->mutation_failure() == storage::io_errc::no_space) free_bytes = 0;
  for (const auto& [k, p] : partitions_) {
    if (p->health() != log_health::healthy) p->check_health(free_bytes, disk_bytes);
  }
}

void shard_state::report_offline_replicas() {
  for (const auto& [k, p] : partitions_) {
    if (p->health() != log_health::healthy) {
      p->report_health_again();
      p->check_health(0, 0);
    }
  }
}

shard_state& shard_state::local() {
  RILL_ASSERT(t_local != nullptr, "no shard_state on this thread");
  return *t_local;
}

bool shard_state::named_leader(const std::string& topic, int32_t partition) const {
  const control::partition_info* p = snapshot_->find_partition(topic, partition);
  return p != nullptr && p->leader == settings_->broker_id;
}

runtime::shard_id shard_state::owner_of(const std::string& topic, int32_t partition) const {
  size_t h = std::hash<std::string>{}(topic) + static_cast<size_t>(partition);
  return runtime::shard_id(static_cast<uint32_t>(h % shard_->owner().shard_count()));
}

void shard_state::for_each_replica(const std::function<void(const partition_replica&)>& fn) const {
  for (const auto& [k, replica] : partitions_) fn(*replica);
}

partition_replica* shard_state::find(const std::string& topic, int32_t partition) {
  auto it = partitions_.find({topic, partition});
  return it == partitions_.end() ? nullptr : it->second.get();
}

std::shared_ptr<partition_replica> shard_state::find_shared(const std::string& topic,
                                                            int32_t partition) {
  auto it = partitions_.find({topic, partition});
  return it == partitions_.end() ? nullptr : it->second;
}

storage::log_options shard_state::log_options_for(const control::topic_info& topic, int32_t index) {
  storage::log_options o = settings_->log_defaults;
  o.staging = &staging_;
  o.hot_tails = &hot_tails_;
  o.reservations = &reservations_;
  o.dir = settings_->data_dir + "/" + topic.name + "-" + std::to_string(index);
  // Topic configs were validated when set; a value that still does not
  // parse keeps the broker's default.
  auto num = [&](const char* k, int64_t fallback) {
    int64_t v = fallback;
    parse_integer(topic_config_value(topic, k, std::to_string(fallback)), &v,
                  integer_suffixes::none);
    return v;
  };
  o.retention_ms = num("retention.ms", o.retention_ms);
  o.retention_bytes = num("retention.bytes", o.retention_bytes);
  o.segment_bytes_max =
      static_cast<uint64_t>(num("segment.bytes", static_cast<int64_t>(o.segment_bytes_max)));
  o.segment_ms_max = num("segment.ms", o.segment_ms_max);
  o.batch_bytes_max =
      static_cast<size_t>(num("max.message.bytes", static_cast<int64_t>(o.batch_bytes_max)));
  o.flush_interval_ms = num("flush.ms", o.flush_interval_ms);
  std::string ts = topic_config_value(topic, "message.timestamp.type", "");
  if (!ts.empty()) {
    o.timestamps = ts == "LogAppendTime" ? storage::timestamp_type::log_append_time
                                         : storage::timestamp_type::create_time;
  }
  if (auto policy = storage::parse_durability(topic_config_value(topic, "rill.flush.policy", ""))) {
    o.sync_policy = *policy;
  }
  // A segment smaller than a batch holds one batch: the roll happens before
  // a write only when the segment already has data (Kafka's rule too).
  std::optional<control::cleanup_policy> cleanup =
      control::parse_cleanup_policy(topic_config_value(topic, "cleanup.policy", "delete"));
  if (cleanup) {
    o.retention_deletes = cleanup->remove;
    o.compacted = cleanup->compact;
  }
  // Validated by the controller: an unknown word cannot reach here.
  (void)storage::parse_compression_type(topic_config_value(topic, "compression.type", "producer"),
                                        &o.recompress_to);
  o.delete_retention_ms = num("delete.retention.ms", o.delete_retention_ms);
  o.min_compaction_lag_ms = num("min.compaction.lag.ms", o.min_compaction_lag_ms);
  o.max_compaction_lag_ms = num("max.compaction.lag.ms", o.max_compaction_lag_ms);
  o.min_cleanable_dirty_ratio = std::stod(topic_config_value(
      topic, "min.cleanable.dirty.ratio", std::to_string(o.min_cleanable_dirty_ratio)));
  return o;
}

task<void> shard_state::apply(control::snapshot_ptr next) {
  if (stopping_) co_return;  // a stopping broker keeps the partitions it has
  if (applying_) {
    // One apply at a time; the newest pending snapshot wins.
    if (!pending_ || pending_->epoch < next->epoch) pending_ = next;
    while (applying_) co_await applied_.wait(*shard_);
    co_return;
  }
  applying_ = true;
  co_await apply_one(std::move(next));
  while (pending_ && !stopping_) {
    control::snapshot_ptr more = std::move(pending_);
    pending_ = nullptr;
    co_await apply_one(std::move(more));
  }
  applying_ = false;
  applied_.notify_all();
}

task<void> shard_state::apply_one(control::snapshot_ptr next) {
  if (next->epoch <= snapshot_->epoch) co_return;
  const int32_t me = settings_->broker_id;
  // New replicas are opened log.recovery.opens.in.flight at a time: a broker
  // given thousands at once (start-up, a large topic) overlaps their disk
  // work instead of paying it one after another.
  std::vector<std::pair<const control::topic_info*, const control::partition_info*>> to_open;
  for (const auto& [name, topic] : next->topics) {
    for (const control::partition_info& p : topic.partitions) {
      bool mine = std::find(p.replicas.begin(), p.replicas.end(), me) != p.replicas.end();
      if (!mine || owner_of(name, p.index) != shard_->id()) continue;
      if (find(name, p.index) == nullptr) to_open.emplace_back(&topic, &p);
    }
  }
  const size_t opens_max = std::max<size_t>(settings_->log_recovery_opens_in_flight, 1);
  for (size_t at = 0; at < to_open.size(); at += opens_max) {
    std::vector<task<bool>> opens;
    for (size_t i = at; i < std::min(to_open.size(), at + opens_max); ++i) {
      opens.push_back([](shard_state* self, const control::topic_info* t,
                         const control::partition_info* p) -> task<bool> {
        co_await self->open_partition(*t, *p);
        co_return true;
      }(this, to_open[i].first, to_open[i].second));
    }
    (void)co_await runtime::when_all(std::move(opens));
  }
  for (const auto& [name, topic] : next->topics) {
    for (const control::partition_info& p : topic.partitions) {
      if (owner_of(name, p.index) != shard_->id()) continue;
      if (partition_replica* r = find(name, p.index)) r->update(p);
    }
  }
  for (auto it = partitions_.begin(); it != partitions_.end();) {
    const control::partition_info* p = next->find_partition(it->first.first, it->first.second);
    bool still_mine =
        p != nullptr && std::find(p->replicas.begin(), p->replicas.end(), me) != p->replicas.end();
    if (still_mine) {
      ++it;
      continue;
    }
    std::shared_ptr<partition_replica> gone = std::move(it->second);
    it = partitions_.erase(it);
    std::string dir = gone->log().options().dir;
    co_await gone->close();
    storage::io_errc e = io_.remove_tree(dir);
    RILL_INFO("partition", "removed %s-%d (%s)", gone->topic().c_str(), gone->index(),
              e == storage::io_errc::ok ? "data deleted" : storage::io_errc_name(e));
  }
  snapshot_ = std::move(next);
  co_await reconcile_fetchers();
}

task<void> shard_state::reconcile_fetchers() {
  // One fetcher per leader broker, carrying every partition this shard
  // follows on it.
  std::map<int32_t, std::set<std::pair<std::string, int32_t>>> wanted;
  for (const auto& [k, r] : partitions_) {
    if (r->role() == replica_role::follower) wanted[r->leader_id()].insert(k);
  }
  for (auto it = fetchers_.begin(); it != fetchers_.end();) {
    auto b = snapshot_->brokers.find(it->first);
    net::socket_address address;
    bool same_address = b != snapshot_->brokers.end() &&
                        net::socket_address::parse(
                            b->second.host, static_cast<uint16_t>(b->second.port), &address) &&
                        address.to_string() == it->second->leader_address().to_string();
    if (wanted.count(it->first) == 0 || !same_address) {
      std::unique_ptr<replication::replica_fetcher> gone = std::move(it->second);
      it = fetchers_.erase(it);
      co_await gone->stop();
    } else {
      ++it;
    }
  }
  if (!wanted.empty() && !fetch_buffers_) {
    fetch_buffers_ = std::make_unique<net::provided_buffer_ring>(
        *shard_,
        net::buffer_ring_options{.group_id = 8, .buffer_count = 256, .buffer_bytes = 64 * 1024});
  }
  for (auto& [leader, parts] : wanted) {
    auto& f = fetchers_[leader];
    if (!f) {
      auto b = snapshot_->brokers.find(leader);
      net::socket_address address;
      if (b == snapshot_->brokers.end() ||
          !net::socket_address::parse(b->second.host, static_cast<uint16_t>(b->second.port),
                                      &address)) {
        fetchers_.erase(leader);
        continue;
      }
      f = std::make_unique<replication::replica_fetcher>(
          *shard_,
          replication::fetcher_options{
              .self = settings_->broker_id,
              .leader = leader,
              .leader_address = address,
              .faults = {.seed = settings_->replication_fault_seed +
                                 static_cast<uint64_t>(leader) * 1000 + shard_->id().value(),
                         .drop_per_mille = settings_->replication_drop_per_mille,
                         .delay_ms_max = settings_->replication_delay_ms_max},
              .make_transport = transport_factory_},
          fetch_buffers_.get(),
          [this](const std::string& t, int32_t p) { return find_shared(t, p); });
      f->start();
    }
    f->set_partitions(parts);
  }
}

task<void> shard_state::open_partition(const control::topic_info& topic,
                                       const control::partition_info& p) {
  storage::log_options options = log_options_for(topic, p.index);
  auto opened = co_await storage::partition_log::open(log_io(), options);
  if (!opened.ok()) {
    RILL_ERROR("partition", "cannot open %s-%d in %s: %s", topic.name.c_str(), p.index,
               options.dir.c_str(), storage::log_errc_name(opened.error()));
    co_return;
  }
  int64_t min_isr = settings_->min_insync_replicas;
  parse_integer(topic_config_value(topic, "min.insync.replicas", std::to_string(min_isr)), &min_isr,
                integer_suffixes::none);
  replica_options replica{.broker_id = settings_->broker_id,
                          .min_insync_replicas = static_cast<int32_t>(min_isr),
                          .replica_lag_time_max_ms = settings_->replica_lag_time_max_ms,
                          .send_isr_change = isr_change_sender_,
                          .report_state = state_reporter_,
                          .shard_activity = &activity_,
                          .lease = lease_,
                          .counters = &counters_};
  auto created = std::make_shared<partition_replica>(*shard_, topic.name, p.index,
                                                     std::move(opened).value(), std::move(replica));
  co_await created->restore_producer_state();
  partitions_[{topic.name, p.index}] = std::move(created);
}

void shard_state::start_background() {
  spawn(background_loop());
}

task<void> shard_state::background_loop() {
  runtime::work_guard guard(*shard_);
  uint64_t last_retention = runtime::monotonic_ns();
  uint64_t last_trim = runtime::monotonic_ns();
  uint64_t last_clean = runtime::monotonic_ns();
  while (!shard_->stopping() && !stopping_) {
    co_await runtime::sleep_for(
        *shard_, static_cast<uint64_t>(settings_->log_flush_check_ms) * runtime::k_ns_per_ms);
    if (shard_->stopping() || stopping_) break;
    bool retention_due =
        runtime::monotonic_ns() - last_retention >=
        static_cast<uint64_t>(settings_->log_retention_check_ms) * runtime::k_ns_per_ms;
    bool trim_due = runtime::monotonic_ns() - last_trim >= k_trim_check_ns;
    if (trim_due) last_trim = runtime::monotonic_ns();
    bool cleaner_due =
        settings_->log_cleaner_enable &&
        runtime::monotonic_ns() - last_clean >=
            static_cast<uint64_t>(settings_->log_cleaner_backoff_ms) * runtime::k_ns_per_ms;
    if (cleaner_due) last_clean = runtime::monotonic_ns();
    std::vector<key> keys;
    for (const auto& [k, p] : partitions_) keys.push_back(k);
    for (const key& k : keys) {
      if (stopping_) break;
      // Hold the partition across the awaits: apply() may remove it meanwhile.
      std::shared_ptr<partition_replica> p = find_shared(k.first, k.second);
      if (p == nullptr) continue;
      co_await p->flush_if_due();
      if (retention_due) co_await p->apply_retention();
      if (cleaner_due && p->log().options().compacted) co_await p->compact(cleaner_options());
      if (trim_due) (void)co_await p->log().trim_idle_reservation(k_idle_reservation_ms);
      p->maybe_change_isr();
    }
    apply_disk_fault_file();
    check_health();
    if (retention_due) last_retention = runtime::monotonic_ns();
  }
}

storage::compaction_options shard_state::cleaner_options() {
  storage::compaction_options o;
  o.key_map_bytes = static_cast<size_t>(settings_->log_cleaner_dedupe_buffer_bytes /
                                        std::max<uint32_t>(settings_->shards, 1));
  int64_t rate = settings_->log_cleaner_io_bytes_per_second;
  if (rate > 0) {
    // The pass's I/O at no more than rate bytes a second: it sleeps for
    // whatever it is ahead of that pace.
    uint64_t started = runtime::monotonic_ns();
    runtime::shard* s = shard_;
    o.throttle = [started, rate, s](uint64_t bytes) -> task<void> {
      uint64_t due_ns = started + bytes * 1'000'000'000ULL / static_cast<uint64_t>(rate);
      uint64_t now = runtime::monotonic_ns();
      if (due_ns > now) co_await runtime::sleep_for(*s, due_ns - now);
    };
  }
  return o;
}

task<void> shard_state::stop_replication() {
  stopping_ = true;
  while (applying_) co_await applied_.wait(*shard_);
  pending_ = nullptr;
  // Out of the map first: nothing may find a fetcher that is stopping.
  std::map<int32_t, std::unique_ptr<replication::replica_fetcher>> stopping = std::move(fetchers_);
  fetchers_.clear();
  for (auto& [leader, f] : stopping) co_await f->stop();
  RILL_ASSERT(fetchers_.empty(), "a fetcher was started during the stop");
}

task<void> shard_state::close_partitions() {
  RILL_ASSERT(stopping_ && fetchers_.empty(), "close_partitions() before stop_replication()");
  std::map<key, std::shared_ptr<partition_replica>> closing = std::move(partitions_);
  partitions_.clear();
  for (auto& [k, p] : closing) co_await p->close();
}

}  // namespace rill::partition
