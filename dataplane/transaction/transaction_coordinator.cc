#include "dataplane/transaction/transaction_coordinator.h"

#include <chrono>
#include <set>

#include "base/assert.h"
#include "base/log.h"
#include "dataplane/group/group_coordinator.h"
#include "dataplane/node/shard_state.h"
#include "dataplane/transaction/txn_records.h"
#include "platform/runtime/clock.h"
#include "platform/runtime/uring_op.h"
#include "storage/batch_builder.h"
#include "storage/compression.h"
#include "storage/record_batch.h"
#include "storage/record_reader.h"

namespace rill::transaction {
namespace {

thread_local transaction_coordinator* t_local = nullptr;

constexpr size_t k_load_read_bytes = 1 << 20;
constexpr uint64_t k_leadership_poll_ns = 10 * runtime::k_ns_per_ms;
// Between rounds of markers that did not all land (a leader moving, a
// broker down).
constexpr uint64_t k_marker_retry_ns = 200 * runtime::k_ns_per_ms;

int64_t epoch_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

txn_errc from_partition_errc(partition::partition_errc e) {
  switch (e) {
    case partition::partition_errc::ok:
      return txn_errc::ok;
    case partition::partition_errc::not_leader:
    case partition::partition_errc::unknown_partition:
    case partition::partition_errc::storage_error:
    case partition::partition_errc::fenced_leader_epoch:
      return txn_errc::not_coordinator;
    default:
      return txn_errc::coordinator_not_available;
  }
}

}  // namespace

int32_t txn_partition_for(const std::string& transactional_id, int32_t partitions) {
  return group::offsets_partition_for(transactional_id, partitions);  // the same hash
}

transaction_coordinator::transaction_coordinator(runtime::shard& s,
                                                 txn_coordinator_settings settings)
    : shard_(&s), settings_(std::move(settings)) {
  RILL_ASSERT(t_local == nullptr, "two transaction coordinators on shard %u", s.id().value());
  RILL_ASSERT(settings_.write_markers && settings_.allocate_producer_id,
              "a transaction coordinator without a marker writer or producer ids");
  t_local = this;
}

transaction_coordinator::~transaction_coordinator() {
  RILL_ASSERT(operations_ == 0 && !loop_running_, "transaction coordinator destroyed while busy");
  t_local = nullptr;
}

transaction_coordinator& transaction_coordinator::local() {
  RILL_ASSERT(t_local != nullptr, "no transaction coordinator on this thread");
  return *t_local;
}

void transaction_coordinator::start() {
  RILL_ASSERT(!loop_running_, "transaction coordinator started twice");
  loop_running_ = true;
  spawn(background_loop());
}

task<void> transaction_coordinator::stop() {
  stopping_ = true;
  for (auto& [index, part] : partitions_) {
    if (part->loaded || part->loading) unload(*part, "the broker stops");
  }
  while (loop_running_ || operations_ > 0) {
    co_await runtime::sleep_for(*shard_, 5 * runtime::k_ns_per_ms);
  }
}

task<void> transaction_coordinator::background_loop() {
  runtime::work_guard guard(*shard_);
  while (!stopping_) {
    co_await runtime::sleep_for(*shard_, static_cast<uint64_t>(k_tick_ms) * runtime::k_ns_per_ms);
    if (stopping_) break;
    load_led_partitions();
    int64_t now = epoch_ms();
    if (now < next_abort_check_ms_) continue;
    next_abort_check_ms_ = now + settings_.abort_check_interval_ms;
    for (auto& [index, part] : partitions_) {
      if (part->loaded) abort_timed_out(*part);
    }
  }
  loop_running_ = false;
}

void transaction_coordinator::load_led_partitions() {
  partition::shard_state& state = partition::shard_state::local();
  const control::topic_info* topic = state.snapshot()->find_topic(k_txn_state_topic);
  if (topic == nullptr) return;
  for (const control::partition_info& p : topic->partitions) {
    auto replica = state.find_shared(k_txn_state_topic, p.index);
    auto it = partitions_.find(p.index);
    if (replica == nullptr || !replica->is_leader()) {
      if (it != partitions_.end() && (it->second->loaded || it->second->loading)) {
        unload(*it->second, "leadership moved");
      }
      continue;
    }
    auto& slot = partitions_[p.index];
    if (slot == nullptr) slot = std::make_unique<state_partition>(p.index);
    bool current = slot->replica == replica && slot->leader_epoch == replica->leader_epoch();
    if ((slot->loaded || slot->loading) && current) continue;
    if (slot->loaded || slot->loading) unload(*slot, "a new leader epoch");
    spawn(load(slot.get(), replica));
  }
}

bool transaction_coordinator::still_current(
    const state_partition& part, int32_t epoch,
    const std::shared_ptr<partition::partition_replica>& replica) const {
  return !stopping_ && part.loaded && part.replica == replica && part.leader_epoch == epoch;
}

void transaction_coordinator::abort_timed_out(state_partition& part) {
  int64_t now = epoch_ms();
  std::vector<std::shared_ptr<txn_slot>> due;
  for (auto& [id, slot] : part.txns) {
    if (!slot->busy && plan_timeout_abort(slot->meta, now)) due.push_back(slot);
  }
  for (std::shared_ptr<txn_slot>& slot : due) {
    spawn([](transaction_coordinator* self, state_partition* part,
             std::shared_ptr<txn_slot> slot) -> task<void> {
      operation op(*self);
      std::optional<txn_metadata> next = plan_timeout_abort(slot->meta, epoch_ms());
      if (!next || slot->busy || slot->gone) co_return;
      RILL_INFO("txn",
                "transactional id %s: transaction of producer %lld timed out after %d ms; "
                "aborting at epoch %d",
                slot->meta.id.c_str(), static_cast<long long>(slot->meta.producer_id),
                slot->meta.timeout_ms, next->producer_epoch);
      if (co_await self->write(*part, *slot, std::move(*next)) != txn_errc::ok) co_return;
      ++self->counters_.timed_out;
      co_await self->finish(part, slot);
    }(this, &part, slot));
  }
}

task<result<transaction_coordinator::state_partition*, txn_errc>> transaction_coordinator::acquire(
    int32_t index) {
  uint64_t deadline = runtime::monotonic_ns() +
                      static_cast<uint64_t>(settings_.load_wait_ms) * runtime::k_ns_per_ms;
  while (true) {
    if (stopping_) co_return txn_errc::not_coordinator;
    partition::shard_state& local = partition::shard_state::local();
    auto replica = local.find_shared(k_txn_state_topic, index);
    if (replica == nullptr || !replica->is_leader()) {
      if (!local.named_leader(k_txn_state_topic, index)) co_return txn_errc::not_coordinator;
      if (runtime::monotonic_ns() >= deadline) co_return txn_errc::coordinator_load_in_progress;
      co_await runtime::sleep_for(*shard_, k_leadership_poll_ns);
      continue;
    }
    auto& slot = partitions_[index];
    if (slot == nullptr) slot = std::make_unique<state_partition>(index);
    state_partition* part = slot.get();
    bool current = part->replica == replica && part->leader_epoch == replica->leader_epoch();
    if (part->loaded && current) co_return part;
    if ((part->loaded || part->loading) && !current) unload(*part, "a new leader epoch");
    if (!part->loading) spawn(load(part, replica));
    // A load with nothing to read finishes inside spawn(), before anyone
    // could wait for its notification.
    if (part->loaded) continue;
    if (runtime::monotonic_ns() >= deadline) co_return txn_errc::coordinator_load_in_progress;
    co_await part->load_done.wait_until(*shard_, deadline);
  }
}

task<void> transaction_coordinator::load(state_partition* part,
                                         std::shared_ptr<partition::partition_replica> replica) {
  operation op(*this);
  RILL_ASSERT(!part->loading && !part->loaded, "%s-%d loaded twice", k_txn_state_topic,
              part->index);
  part->loading = true;
  part->replica = replica;
  part->leader_epoch = replica->leader_epoch();
  const int32_t epoch = part->leader_epoch;
  storage::partition_log& log = replica->log();
  int64_t offset = log.log_start_offset();
  const int64_t end = log.log_end_offset();
  std::map<std::string, txn_metadata> loaded;
  while (offset < end) {
    auto r = co_await log.read(offset, k_load_read_bytes, end);
    if (part->replica != replica || part->leader_epoch != epoch) co_return;  // unloaded meanwhile
    if (!r.ok() || r.value().slices.empty()) {
      RILL_WARN("txn",
                "%s-%d: loading stopped at offset %lld of %lld; the partition stays "
                "unloaded",
                k_txn_state_topic, part->index, static_cast<long long>(offset),
                static_cast<long long>(end));
      unload(*part, "the load failed");
      co_return;
    }
    for (const storage::batch_slice& slice : r.value().slices) {
      storage::batch_view batch(slice.bytes.data());
      std::optional<std::vector<uint8_t>> plain =
          storage::inflated_batch(slice.bytes, storage::k_inflated_batch_bytes_max);
      storage::record_reader reader(plain ? std::span<const uint8_t>(*plain) : slice.bytes);
      while (auto rec = reader.next()) {
        if (!rec->key) continue;
        std::optional<std::string> id = decode_txn_key(*rec->key);
        if (!id) continue;
        if (!rec->value) {
          loaded.erase(*id);
          continue;
        }
        if (std::optional<txn_metadata> m = decode_txn_value(*id, *rec->value)) {
          loaded[*id] = std::move(*m);
        } else {
          RILL_WARN("txn", "%s-%d: record at offset %lld for %s not understood; skipped",
                    k_txn_state_topic, part->index, static_cast<long long>(rec->offset),
                    id->c_str());
        }
      }
      offset = batch.last_offset() + 1;
    }
  }
  std::vector<std::shared_ptr<txn_slot>> unfinished;
  for (auto& [id, m] : loaded) {
    auto slot = std::make_shared<txn_slot>();
    slot->meta = std::move(m);
    if (slot->meta.preparing()) unfinished.push_back(slot);
    part->txns[id] = std::move(slot);
  }
  part->loading = false;
  part->loaded = true;
  part->load_done.notify_all();
  if (!part->txns.empty()) {
    RILL_INFO("txn", "%s-%d loaded at leader epoch %d: %zu transactional ids, %zu to finish",
              k_txn_state_topic, part->index, epoch, part->txns.size(), unfinished.size());
  }
  for (std::shared_ptr<txn_slot>& slot : unfinished) spawn(finish(part, slot));
}

void transaction_coordinator::unload(state_partition& part, const char* why) {
  if (part.loaded) {
    RILL_INFO("txn", "%s-%d unloaded (%s): %zu transactional ids", k_txn_state_topic, part.index,
              why, part.txns.size());
  }
  for (auto& [id, slot] : part.txns) {
    slot->gone = true;
    slot->changed.notify_all();
  }
  part.txns.clear();
  part.loaded = false;
  part.loading = false;
  part.replica.reset();
  part.leader_epoch = -1;
  part.load_done.notify_all();
}

task<txn_errc> transaction_coordinator::write(state_partition& part, txn_slot& slot,
                                              txn_metadata m) {
  RILL_ASSERT(!slot.busy, "transactional id %s written twice at once", m.id.c_str());
  std::shared_ptr<partition::partition_replica> replica = part.replica;
  if (replica == nullptr || !part.loaded || slot.gone) co_return txn_errc::not_coordinator;
  slot.busy = true;
  std::vector<uint8_t> key = encode_txn_key(m.id);
  std::vector<uint8_t> value = encode_txn_value(m);
  std::vector<storage::record_spec> records(1);
  records[0].key = std::string(key.begin(), key.end());
  records[0].value = std::string(value.begin(), value.end());
  auto batch = std::make_shared<std::vector<uint8_t>>(
      storage::build_batch({.base_timestamp_ms = epoch_ms()}, records));
  partition::produce_outcome out =
      co_await replica->produce(std::move(batch), -1, settings_.write_timeout_ms);
  slot.busy = false;
  struct notify_on_exit {
    txn_slot* s;
    ~notify_on_exit() { s->changed.notify_all(); }  // after the metadata changed
  } notify{&slot};
  if (out.error != partition::partition_errc::ok) {
    RILL_WARN("txn", "transactional id %s: writing %s failed: %s", m.id.c_str(),
              txn_status_name(m.status), partition::partition_errc_name(out.error));
    co_return from_partition_errc(out.error);
  }
  if (slot.gone) co_return txn_errc::not_coordinator;
  RILL_DEBUG("txn", "transactional id %s: %s -> %s, producer %lld epoch %d", m.id.c_str(),
             txn_status_name(slot.meta.status), txn_status_name(m.status),
             static_cast<long long>(m.producer_id), m.producer_epoch);
  slot.meta = std::move(m);
  co_return txn_errc::ok;
}

task<void> transaction_coordinator::finish(state_partition* part, std::shared_ptr<txn_slot> slot) {
  operation op(*this);
  const int32_t epoch = part->leader_epoch;
  const std::shared_ptr<partition::partition_replica> replica = part->replica;
  RILL_ASSERT(slot->meta.preparing(), "transactional id %s finished from %s", slot->meta.id.c_str(),
              txn_status_name(slot->meta.status));
  marker_job job{.producer_id = slot->meta.producer_id,
                 .producer_epoch = slot->meta.producer_epoch,
                 .commit = slot->meta.status == txn_status::prepare_commit,
                 .coordinator_epoch = epoch,
                 .partitions = {slot->meta.partitions.begin(), slot->meta.partitions.end()}};
  uint64_t rounds = 0;
  while (!job.partitions.empty()) {
    if (!still_current(*part, epoch, replica) || slot->gone) co_return;  // the next leader finishes
    std::vector<txn_errc> errors = co_await settings_.write_markers(job);
    RILL_ASSERT(errors.size() == job.partitions.size(), "%zu marker answers for %zu partitions",
                errors.size(), job.partitions.size());
    std::vector<topic_partition> left;
    for (size_t i = 0; i < errors.size(); ++i) {
      if (errors[i] == txn_errc::ok) continue;
      if (errors[i] == txn_errc::unknown_topic_or_partition) {
        RILL_WARN("txn", "transactional id %s: %s-%d is gone; its marker is dropped",
                  slot->meta.id.c_str(), job.partitions[i].first.c_str(), job.partitions[i].second);
        continue;
      }
      left.push_back(job.partitions[i]);
    }
    job.partitions = std::move(left);
    if (!job.partitions.empty()) {
      ++counters_.marker_rounds_retried;
      if (++rounds % 25 == 0) {
        RILL_WARN("txn", "transactional id %s: %zu markers still unwritten after %llu rounds",
                  slot->meta.id.c_str(), job.partitions.size(),
                  static_cast<unsigned long long>(rounds));
      }
      co_await runtime::sleep_for(*shard_, k_marker_retry_ns);
    }
  }
  while (still_current(*part, epoch, replica) && !slot->gone) {
    if (slot->busy) {
      co_await runtime::sleep_for(*shard_, k_leadership_poll_ns);
      continue;
    }
    txn_errc e = co_await write(*part, *slot, completed(slot->meta, epoch_ms()));
    if (e == txn_errc::ok) {
      ++(slot->meta.status == txn_status::complete_commit ? counters_.committed
                                                          : counters_.aborted);
    }
    if (e == txn_errc::ok || e == txn_errc::not_coordinator) break;
    co_await runtime::sleep_for(*shard_, k_marker_retry_ns);
  }
}

task<bool> transaction_coordinator::settle(std::shared_ptr<txn_slot> slot) {
  const uint64_t deadline = runtime::monotonic_ns() + k_settle_wait_ns;
  while (!slot->gone && (slot->busy || slot->meta.preparing())) {
    if (runtime::monotonic_ns() >= deadline) break;
    (void)co_await slot->changed.wait_until(*shard_, deadline);
  }
  co_return !slot->gone;
}

task<init_answer> transaction_coordinator::init_producer_id(int32_t index, std::string id,
                                                            int32_t timeout_ms,
                                                            producer_identity expected) {
  operation op(*this);
  auto acquired = co_await acquire(index);
  if (!acquired.ok()) co_return init_answer{acquired.error()};
  state_partition* part = acquired.value();
  const int32_t epoch = part->leader_epoch;
  const auto replica = part->replica;
  auto it = part->txns.find(id);
  std::shared_ptr<txn_slot> slot = it == part->txns.end() ? nullptr : it->second;
  if (slot != nullptr && !co_await settle(slot)) co_return init_answer{txn_errc::not_coordinator};
  if (slot != nullptr && slot->busy) co_return init_answer{txn_errc::concurrent_transactions};
  bool exhausted = slot != nullptr && slot->meta.producer_epoch >= INT16_MAX - 1;
  int64_t new_producer_id = -1;
  if (expected.id >= 0 && (slot == nullptr || slot->meta.producer_id != expected.id ||
                           slot->meta.producer_epoch != expected.epoch)) {
    co_return init_answer{txn_errc::producer_fenced};
  }
  if (slot == nullptr || exhausted) {
    new_producer_id = co_await settings_.allocate_producer_id();
    if (new_producer_id < 0) co_return init_answer{txn_errc::coordinator_not_available};
    if (!still_current(*part, epoch, replica)) co_return init_answer{txn_errc::not_coordinator};
    it = part->txns.find(id);
    if ((it == part->txns.end() ? nullptr : it->second) != slot) {
      co_return init_answer{txn_errc::concurrent_transactions};  // created meanwhile
    }
  }
  std::optional<txn_metadata> current;
  if (slot != nullptr) current = slot->meta;
  init_outcome plan = plan_init(current, id, timeout_ms, settings_.max_timeout_ms, new_producer_id,
                                epoch_ms(), expected);
  if (const auto* e = std::get_if<txn_errc>(&plan.plan)) co_return init_answer{*e};
  txn_metadata next = std::get<txn_write>(plan.plan).next;
  bool created = slot == nullptr;
  if (created) {
    slot = std::make_shared<txn_slot>();
    slot->meta = next;
    part->txns[id] = slot;
  }
  txn_errc e = co_await write(*part, *slot, next);
  if (e != txn_errc::ok) {
    if (created && !slot->gone) part->txns.erase(id);  // never written: it does not exist
    co_return init_answer{e};
  }
  if (plan.aborting_first) {
    RILL_INFO("txn",
              "transactional id %s: a new producer instance; aborting the open transaction "
              "at epoch %d first",
              id.c_str(), slot->meta.producer_epoch);
    spawn(finish(part, slot));
    co_return init_answer{txn_errc::concurrent_transactions};
  }
  RILL_ASSERT(slot->meta.status == txn_status::empty, "%s initialised to %s", id.c_str(),
              txn_status_name(slot->meta.status));
  co_return init_answer{txn_errc::ok, slot->meta.producer_id, slot->meta.producer_epoch};
}

task<std::vector<txn_errc>> transaction_coordinator::add_partitions(
    int32_t index, std::string id, int64_t producer_id, int16_t producer_epoch,
    std::vector<topic_partition> partitions) {
  operation op(*this);
  auto all = [&](txn_errc e) { return std::vector<txn_errc>(partitions.size(), e); };
  auto acquired = co_await acquire(index);
  if (!acquired.ok()) co_return all(acquired.error());
  state_partition* part = acquired.value();
  auto it = part->txns.find(id);
  if (it == part->txns.end()) co_return all(txn_errc::invalid_producer_id_mapping);
  std::shared_ptr<txn_slot> slot = it->second;
  if (!co_await settle(slot)) co_return all(txn_errc::not_coordinator);
  if (slot->busy) co_return all(txn_errc::concurrent_transactions);
  std::set<topic_partition> wanted(partitions.begin(), partitions.end());
  txn_plan plan = plan_add_partitions(slot->meta, producer_id, producer_epoch, wanted, epoch_ms());
  if (const auto* e = std::get_if<txn_errc>(&plan)) co_return all(*e);
  if (std::holds_alternative<txn_unchanged>(plan)) co_return all(txn_errc::ok);
  co_return all(co_await write(*part, *slot, std::get<txn_write>(plan).next));
}

task<txn_errc> transaction_coordinator::end_txn(int32_t index, std::string id, int64_t producer_id,
                                                int16_t producer_epoch, bool commit) {
  operation op(*this);
  auto acquired = co_await acquire(index);
  if (!acquired.ok()) co_return acquired.error();
  state_partition* part = acquired.value();
  auto it = part->txns.find(id);
  if (it == part->txns.end()) co_return txn_errc::invalid_producer_id_mapping;
  std::shared_ptr<txn_slot> slot = it->second;
  if (!co_await settle(slot)) co_return txn_errc::not_coordinator;
  if (slot->busy) co_return txn_errc::concurrent_transactions;
  txn_plan plan = plan_end(slot->meta, producer_id, producer_epoch, commit, epoch_ms());
  if (const auto* e = std::get_if<txn_errc>(&plan)) co_return *e;
  if (std::holds_alternative<txn_unchanged>(plan)) co_return txn_errc::ok;
  txn_errc e = co_await write(*part, *slot, std::get<txn_write>(plan).next);
  if (e != txn_errc::ok) co_return e;
  spawn(finish(part, slot));
  co_return txn_errc::ok;
}

txn_report transaction_coordinator::report() const {
  txn_report out{.ids_by_status = std::vector<size_t>(
                     static_cast<size_t>(txn_status::prepare_epoch_fence) + 1, 0),
                 .counters = counters_};
  for (const auto& [index, part] : partitions_) {
    if (!part->loaded) continue;
    for (const auto& [id, slot] : part->txns) {
      ++out.ids_by_status[static_cast<size_t>(slot->meta.status)];
    }
  }
  return out;
}

}  // namespace rill::transaction
