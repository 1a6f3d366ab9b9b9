// The coordinator's partitions: loading, unloading, the background loop and
// appends. The requests are in group_requests.cc.
#include "dataplane/group/group_coordinator.h"

#include <chrono>
#include <random>

#include "base/assert.h"
#include "base/log.h"
#include "dataplane/group/coordinator_internal.h"
#include "dataplane/node/shard_state.h"
#include "platform/runtime/clock.h"
#include "platform/runtime/uring_op.h"
#include "storage/batch_builder.h"
#include "storage/compression.h"
#include "storage/control_batch.h"
#include "storage/record_batch.h"
#include "storage/record_reader.h"

namespace rill::group {
namespace {

thread_local group_coordinator* t_local = nullptr;

// Largest read while loading a partition.
constexpr size_t k_load_read_bytes = 1 << 20;

// How often a request waiting for this broker's replica to take a
// leadership the metadata already gives it looks again.
constexpr uint64_t k_leadership_poll_ns = 10 * runtime::k_ns_per_ms;

}  // namespace

int64_t epoch_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int32_t offsets_partition_for(const std::string& group_id, int32_t partitions) {
  RILL_ASSERT(partitions > 0, "offsets topic with %d partitions", partitions);
  // Java's String.hashCode runs over UTF-16 code units.
  int32_t h = 0;
  auto mix = [&h](uint32_t unit) {
    h = static_cast<int32_t>(31u * static_cast<uint32_t>(h) + unit);
  };
  const auto* s = reinterpret_cast<const unsigned char*>(group_id.data());
  size_t n = group_id.size();
  for (size_t i = 0; i < n;) {
    uint32_t cp = s[i];
    size_t len = cp < 0x80 ? 1 : cp < 0xE0 ? 2 : cp < 0xF0 ? 3 : 4;
    if (len > 1 && i + len <= n) {
      cp &= (0xFFu >> (len + 1));
      for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (s[i + k] & 0x3Fu);
    } else {
      len = 1;
    }
    if (cp >= 0x10000) {
      cp -= 0x10000;
      mix(0xD800 + (cp >> 10));
      mix(0xDC00 + (cp & 0x3FF));
    } else {
      mix(cp);
    }
    i += len;
  }
  return (h & 0x7fffffff) % partitions;
}

group_errc from_partition_errc(partition::partition_errc e) {
  switch (e) {
    case partition::partition_errc::ok:
      return group_errc::ok;
    case partition::partition_errc::not_leader:
    case partition::partition_errc::unknown_partition:
    case partition::partition_errc::storage_error:
    case partition::partition_errc::fenced_leader_epoch:
      return group_errc::not_coordinator;
    case partition::partition_errc::not_enough_replicas:
    case partition::partition_errc::not_enough_replicas_after_append:
    case partition::partition_errc::request_timed_out:
      return group_errc::coordinator_not_available;
    case partition::partition_errc::batch_too_large:
      return group_errc::invalid_commit_offset_size;
    default:
      return group_errc::unknown_server_error;
  }
}

group_coordinator::group_coordinator(runtime::shard& s, const coordinator_settings& settings)
    : shard_(&s), settings_(settings) {
  RILL_ASSERT(t_local == nullptr, "two group coordinators on shard %u", s.id().value());
  t_local = this;
}

group_coordinator::~group_coordinator() {
  RILL_ASSERT(operations_ == 0 && !loop_running_, "group coordinator destroyed while busy");
  t_local = nullptr;
}

group_coordinator& group_coordinator::local() {
  RILL_ASSERT(t_local != nullptr, "no group coordinator on this thread");
  return *t_local;
}

int64_t group_coordinator::now_ms() const {
  return static_cast<int64_t>(runtime::monotonic_ns() / runtime::k_ns_per_ms);
}

void group_coordinator::start() {
  RILL_ASSERT(!loop_running_, "group coordinator started twice");
  loop_running_ = true;
  spawn(background_loop());
}

task<void> group_coordinator::stop() {
  stopping_ = true;
  for (auto& [index, part] : partitions_) {
    if (part->loaded || part->loading) unload(*part, "the broker stops");
  }
  while (loop_running_ || operations_ > 0) {
    co_await runtime::sleep_for(*shard_, 5 * runtime::k_ns_per_ms);
  }
}

task<void> group_coordinator::background_loop() {
  runtime::work_guard guard(*shard_);
  while (!stopping_) {
    co_await runtime::sleep_for(*shard_, static_cast<uint64_t>(k_tick_ms) * runtime::k_ns_per_ms);
    if (stopping_) break;
    int64_t now = now_ms();
    bool retention_due = epoch_ms() >= next_retention_check_ms_;
    if (retention_due) next_retention_check_ms_ = epoch_ms() + settings_.offsets_retention_check_ms;
    load_led_partitions();
    for (auto& [index, part] : partitions_) {
      if (!part->loaded) continue;
      tick(*part, now);
      if (part->loaded && retention_due) spawn(expire_offsets(part.get()));
    }
  }
  loop_running_ = false;
}

void group_coordinator::load_led_partitions() {
  partition::shard_state& state = partition::shard_state::local();
  const control::topic_info* topic = state.snapshot()->find_topic(k_offsets_topic);
  if (topic == nullptr) return;
  for (const control::partition_info& p : topic->partitions) {
    auto replica = state.find_shared(k_offsets_topic, p.index);
    if (replica == nullptr || !replica->is_leader()) continue;
    auto& slot = partitions_[p.index];
    if (slot == nullptr) slot = std::make_unique<offsets_partition>(p.index);
    bool current = slot->replica == replica && slot->leader_epoch == replica->leader_epoch();
    if ((slot->loaded || slot->loading) && current) continue;
    if (slot->loaded || slot->loading) unload(*slot, "a new leader epoch");
    spawn(load(slot.get(), replica));
  }
}

void group_coordinator::tick(offsets_partition& part, int64_t now) {
  auto current = partition::shard_state::local().find_shared(k_offsets_topic, part.index);
  if (current != part.replica || !current->is_leader() ||
      current->leader_epoch() != part.leader_epoch) {
    unload(part, "leadership moved");
    return;
  }
  for (auto it = part.groups.begin(); it != part.groups.end();) {
    std::shared_ptr<group_slot>& slot = it->second;
    if (slot->group.tick(now)) after_change(part, slot);
    // Only this map holds it and nobody waits in it: an empty group goes.
    if (slot->group.removable() && slot.use_count() == 1 && !slot->store_running) {
      slot->gone = true;
      it = part.groups.erase(it);
    } else {
      ++it;
    }
  }
}

void group_coordinator::after_change(offsets_partition& part, std::shared_ptr<group_slot>& slot) {
  slot->changed.notify_all();
  if (slot->group.store_due() && !slot->store_running && !slot->gone) {
    slot->store_running = true;
    spawn(store_group(&part, slot));
  }
}

task<void> group_coordinator::store_group(offsets_partition* part,
                                          std::shared_ptr<group_slot> slot) {
  operation op(*this);
  RILL_ASSERT(slot->store_running, "group %s stored without its flag", slot->group.id().c_str());
  while (slot->group.store_due() && !slot->gone) {
    consumer_group::store_ticket ticket = slot->group.begin_store();
    group_value value = slot->group.stored_value(epoch_ms());
    std::vector<uint8_t> key = encode_key(group_key{slot->group.id()});
    std::vector<uint8_t> bytes = encode_group_value(value);
    std::vector<storage::record_spec> records(1);
    records[0].key = std::string(key.begin(), key.end());
    records[0].value = std::string(bytes.begin(), bytes.end());
    auto r = co_await append(*part, std::move(records));
    if (slot->gone) break;
    if (!r.ok()) {
      RILL_WARN("group", "storing group %s (generation %d) failed: %s", slot->group.id().c_str(),
                ticket.generation, group_errc_name(r.error()));
    }
    slot->group.finish_store(ticket, r.ok(), r.ok() ? group_errc::ok : r.error(), now_ms());
    slot->changed.notify_all();
  }
  slot->store_running = false;
}

task<result<int64_t, group_errc>> group_coordinator::append(
    offsets_partition& part, std::vector<storage::record_spec> records,
    std::optional<txn_producer> transaction) {
  RILL_ASSERT(!records.empty(), "an empty append to %s-%d", k_offsets_topic, part.index);
  std::shared_ptr<partition::partition_replica> replica = part.replica;
  if (replica == nullptr || !part.loaded) co_return group_errc::not_coordinator;
  storage::batch_spec spec{.base_timestamp_ms = epoch_ms()};
  if (transaction) {
    // As Kafka writes a TxnOffsetCommit: the producer's id and epoch, no
    // sequence, transactional.
    spec.producer_id = transaction->id;
    spec.producer_epoch = transaction->epoch;
    spec.attributes = storage::batch_format::transactional_flag;
  }
  auto batch = std::make_shared<std::vector<uint8_t>>(storage::build_batch(spec, records));
  partition::produce_outcome out =
      co_await replica->produce(std::move(batch), -1, settings_.commit_timeout_ms);
  if (out.error == partition::partition_errc::fenced_producer_epoch) {
    co_return group_errc::producer_fenced;
  }
  if (out.error != partition::partition_errc::ok) co_return from_partition_errc(out.error);
  RILL_ASSERT(out.base_offset >= 0, "append to %s-%d answered offset %lld", k_offsets_topic,
              part.index, static_cast<long long>(out.base_offset));
  co_return out.base_offset;
}

task<result<offsets_partition*, group_errc>> group_coordinator::acquire(int32_t index) {
  uint64_t deadline = runtime::monotonic_ns() +
                      static_cast<uint64_t>(settings_.load_wait_ms) * runtime::k_ns_per_ms;
  while (true) {
    if (stopping_) co_return group_errc::not_coordinator;
    partition::shard_state& local = partition::shard_state::local();
    auto replica = local.find_shared(k_offsets_topic, index);
    if (replica == nullptr || !replica->is_leader()) {
      // The metadata may name this broker before its replica has taken the
      // leadership (a restart, an election): Kafka's coordinator is then
      // still loading, which clients retry; NOT_COORDINATOR would make
      // some (librdkafka's committed()) fail the call.
      if (!local.named_leader(k_offsets_topic, index)) co_return group_errc::not_coordinator;
      if (runtime::monotonic_ns() >= deadline) co_return group_errc::coordinator_load_in_progress;
      co_await runtime::sleep_for(*shard_, k_leadership_poll_ns);
      continue;
    }
    auto& slot = partitions_[index];
    if (slot == nullptr) slot = std::make_unique<offsets_partition>(index);
    offsets_partition* part = slot.get();
    bool current = part->replica == replica && part->leader_epoch == replica->leader_epoch();
    if (part->loaded && current) co_return part;
    if ((part->loaded || part->loading) && !current) unload(*part, "a new leader epoch");
    if (!part->loading) spawn(load(part, replica));
    // A load with nothing to read finishes inside spawn(), before anyone
    // could wait for its notification.
    if (part->loaded) continue;
    if (runtime::monotonic_ns() >= deadline) co_return group_errc::coordinator_load_in_progress;
    co_await part->load_done.wait_until(*shard_, deadline);
  }
}

task<void> group_coordinator::load(offsets_partition* part,
                                   std::shared_ptr<partition::partition_replica> replica) {
  operation op(*this);
  RILL_ASSERT(!part->loading && !part->loaded, "%s-%d loaded twice", k_offsets_topic, part->index);
  part->loading = true;
  part->replica = replica;
  part->leader_epoch = replica->leader_epoch();
  part->salt = std::random_device{}() | (static_cast<uint64_t>(std::random_device{}()) << 32);
  int32_t epoch = part->leader_epoch;
  uint64_t started = runtime::monotonic_ns();
  storage::partition_log& log = replica->log();
  int64_t offset = log.log_start_offset();
  int64_t end = log.log_end_offset();
  size_t records = 0;
  bool failed = false;
  while (offset < end && !failed) {
    auto r = co_await log.read(offset, k_load_read_bytes, end);
    if (part->replica != replica || part->leader_epoch != epoch) co_return;  // unloaded meanwhile
    if (!r.ok() || r.value().slices.empty()) {
      failed = true;
      break;
    }
    for (const storage::batch_slice& slice : r.value().slices) {
      storage::batch_view batch(slice.bytes.data());
      if (batch.is_control()) {
        // A transaction's marker: its pending commits take effect or go.
        if (std::optional<storage::txn_marker> m = storage::read_marker(slice.bytes)) {
          complete_transaction(*part, batch.producer_id(), m->type == storage::marker_type::commit);
        }
        offset = batch.last_offset() + 1;
        continue;
      }
      const int64_t producer = batch.is_transactional() ? batch.producer_id() : -1;
      std::optional<std::vector<uint8_t>> plain =
          storage::inflated_batch(slice.bytes, storage::k_inflated_batch_bytes_max);
      storage::record_reader reader(plain ? std::span<const uint8_t>(*plain) : slice.bytes);
      while (auto rec = reader.next()) {
        apply_loaded_record(*part, *rec, producer);
        ++records;
      }
      if (!reader.valid()) {
        RILL_WARN("group", "%s-%d: batch at offset %lld not read (%s)", k_offsets_topic,
                  part->index, static_cast<long long>(batch.base_offset()),
                  reader.compressed() ? "compressed" : "malformed record");
      }
      offset = batch.last_offset() + 1;
    }
  }
  if (failed) {
    RILL_WARN("group",
              "%s-%d: loading stopped at offset %lld of %lld; the partition stays "
              "unloaded",
              k_offsets_topic, part->index, static_cast<long long>(offset),
              static_cast<long long>(end));
    unload(*part, "the load failed");
    co_return;
  }
  part->loading = false;
  part->loaded = true;
  // A marker the load may have read already finds nothing pending: no-op.
  for (const auto& [producer, commit] : part->markers_while_loading) {
    complete_transaction(*part, producer, commit);
  }
  part->markers_while_loading.clear();
  part->load_done.notify_all();
  double took_ms = static_cast<double>(runtime::monotonic_ns() - started) / 1e6;
  if (records > 0) {
    RILL_INFO("group", "%s-%d loaded at leader epoch %d: %zu records, %zu groups in %.1f ms",
              k_offsets_topic, part->index, epoch, records, part->groups.size(), took_ms);
  } else {
    RILL_DEBUG("group", "%s-%d loaded at leader epoch %d: empty", k_offsets_topic, part->index,
               epoch);
  }
}

void group_coordinator::apply_loaded_record(offsets_partition& part, const storage::record_view& r,
                                            int64_t producer_id) {
  if (!r.key) return;
  std::optional<record_key> key = decode_key(*r.key);
  if (!key) {
    RILL_WARN("group", "%s-%d: record at offset %lld has an unknown key; skipped", k_offsets_topic,
              part.index, static_cast<long long>(r.offset));
    return;
  }
  if (const auto* k = std::get_if<offset_key>(&*key)) {
    topic_partition tp{k->topic, k->partition};
    if (!r.value) {
      if (auto slot = find_group(part, k->group)) slot->group.remove_offset(tp);
      return;
    }
    std::optional<offset_value> v = decode_offset_value(*r.value);
    if (!v) return;
    if (producer_id >= 0) {
      part.pending[producer_id].push_back(
          {k->group,
           tp,
           {v->offset, v->leader_epoch, v->metadata, v->commit_timestamp_ms},
           r.offset});
      return;
    }
    auto slot = find_or_create_group(part, k->group);
    slot->group.apply_offset(tp, {v->offset, v->leader_epoch, v->metadata, v->commit_timestamp_ms});
    slot->positions[tp] = r.offset;
    return;
  }
  const group_key& k = std::get<group_key>(*key);
  if (!r.value) {
    part.groups.erase(k.group);  // deleted; its offsets' tombstones came before
    return;
  }
  std::optional<group_value> v = decode_group_value(*r.value);
  if (!v) return;
  find_or_create_group(part, k.group)->group.restore(*v, now_ms());
}

void group_coordinator::unload(offsets_partition& part, const char* why) {
  if (part.loaded) {
    RILL_INFO("group", "%s-%d unloaded (%s): %zu groups", k_offsets_topic, part.index, why,
              part.groups.size());
  }
  for (auto& [id, slot] : part.groups) {
    slot->gone = true;
    slot->changed.notify_all();
  }
  part.groups.clear();
  part.pending.clear();
  part.markers_while_loading.clear();
  part.loaded = false;
  part.loading = false;
  part.replica.reset();
  part.leader_epoch = -1;
  part.load_done.notify_all();
}

void group_coordinator::complete_transaction(int32_t partition, int64_t producer_id, bool commit) {
  auto it = partitions_.find(partition);
  if (it == partitions_.end()) return;  // never loaded: a load will read the marker
  offsets_partition& part = *it->second;
  if (part.loading) {
    part.markers_while_loading.emplace_back(producer_id, commit);
  } else if (part.loaded) {
    complete_transaction(part, producer_id, commit);
  }
}

void group_coordinator::complete_transaction(offsets_partition& part, int64_t producer_id,
                                             bool commit) {
  auto it = part.pending.find(producer_id);
  if (it == part.pending.end()) return;
  std::vector<pending_commit> commits = std::move(it->second);
  part.pending.erase(it);
  if (!commit) return;
  for (pending_commit& c : commits) {
    auto slot = find_or_create_group(part, c.group_id);
    auto at = slot->positions.find(c.tp);
    if (at != slot->positions.end() && at->second > c.position) continue;
    slot->positions[c.tp] = c.position;
    slot->group.apply_offset(c.tp, c.value);
  }
}

std::shared_ptr<group_slot> group_coordinator::find_group(offsets_partition& part,
                                                          const std::string& group_id) {
  auto it = part.groups.find(group_id);
  return it == part.groups.end() ? nullptr : it->second;
}

std::shared_ptr<group_slot> group_coordinator::find_or_create_group(offsets_partition& part,
                                                                    const std::string& group_id) {
  auto& slot = part.groups[group_id];
  if (slot == nullptr) {
    slot = std::make_shared<group_slot>(consumer_group(group_id, settings_.group, part.salt));
  }
  return slot;
}

task<void> group_coordinator::expire_offsets(offsets_partition* part) {
  operation op(*this);
  int64_t cutoff = epoch_ms() - settings_.offsets_retention_ms;
  std::vector<std::shared_ptr<group_slot>> slots;
  for (auto& [id, slot] : part->groups) slots.push_back(slot);
  for (std::shared_ptr<group_slot>& slot : slots) {
    if (slot->gone || slot->group.state() != group_state::empty) continue;
    std::vector<topic_partition> expired;
    std::vector<storage::record_spec> tombstones;
    for (const auto& [tp, o] : slot->group.offsets()) {
      if (o.commit_timestamp_ms >= cutoff) continue;
      expired.push_back(tp);
      std::vector<uint8_t> key = encode_key(offset_key{slot->group.id(), tp.first, tp.second});
      tombstones.push_back({.key = std::string(key.begin(), key.end()), .value = std::nullopt});
    }
    if (expired.empty()) continue;
    auto r = co_await append(*part, std::move(tombstones));
    if (!r.ok() || slot->gone) continue;
    for (const topic_partition& tp : expired) slot->group.remove_offset(tp);
    RILL_INFO("group", "group %s: %zu offsets expired (offsets.retention)",
              slot->group.id().c_str(), expired.size());
  }
}

}  // namespace rill::group
