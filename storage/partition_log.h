// partition_log: the durable, segmented log of one partition replica.
//
// Owned by the shard that owns the partition and used only on its thread
// (no locks). Batches are Kafka RecordBatch v2 as they came off the wire.
//
// Write path: append() validates (leader path) or checks continuity
// (follower path), assigns offsets, copies the batch into an aligned staging
// buffer and the in-memory hot tail, then waits for the single flusher of
// this log, which writes everything staged so far with one (O_DIRECT) write
// and, under sync_each, one fdatasync linked behind it: concurrent appends
// share a write and an fsync (group commit). The tail page is rewritten with
// each write, so the file never has holes.
//
// When is an append durable? append() returns after its bytes were written
// to the file, and:
//   - sync_each (default): also fdatasync'd; durable on return.
//   - sync_interval: durable after the next interval sync (flush_if_due()),
//     visible as durable_end_offset().
//   - sync_none: never fsynced by the log; durability comes from replicas.
// A failed write fails every staged append and rolls the log end back; a
// failed fsync fails its appends and takes the log offline (appends refused,
// reads of durable data still served) - the owner must stop loudly.
//
// Read path: read() serves batches below a caller-given bound (the high
// watermark for consumers, the log end for followers) from the hot tail
// without copying (shared buffers), or from disk through the file_io.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/task.h"
#include "base/turn_queue.h"
#include "base/waiter_list.h"
#include "storage/aborted_txn_index.h"
#include "storage/aligned_buffer.h"
#include "storage/compaction.h"
#include "storage/compression.h"
#include "storage/file_io.h"
#include "storage/hot_tail_cache.h"
#include "storage/leader_epoch_cache.h"
#include "storage/log_errc.h"
#include "storage/record_batch.h"
#include "storage/segment.h"
#include "storage/space_reservations.h"
#include "storage/staging_pool.h"

namespace rill::storage {

enum class durability : uint8_t { sync_each, sync_interval, sync_none };
// The flush policy's names (log.flush.policy, the rill.flush.policy topic
// config): fsync, interval, replication.
inline std::optional<durability> parse_durability(std::string_view name) {
  if (name == "fsync") return durability::sync_each;
  if (name == "interval") return durability::sync_interval;
  if (name == "replication") return durability::sync_none;
  return std::nullopt;
}
inline const char* durability_name(durability d) {
  return d == durability::sync_each       ? "fsync"
         : d == durability::sync_interval ? "interval"
                                          : "replication";
}
enum class timestamp_type : uint8_t { create_time, log_append_time };
// How space ahead of the write position is prepared. fallocate reserves
// unwritten extents: cheap, but every write into them converts the extent, so
// the fdatasync behind it commits a journal transaction, and an append that
// rewrites the tail page goes as two writes (write_at_split). zero_fill
// writes zeros ahead in the background (and syncs them), so appends are
// overwrites and their fdatasync is a device flush; it costs a second write
// of every byte. adaptive: fallocate, plus zeros written ahead while the
// writes are small (below zero_fill_below_write_bytes on average), where the
// per-write cost of conversion and split dominates and the second write of
// the bytes costs little. automatic: zero_fill when every append is synced,
// else adaptive.
enum class preallocation : uint8_t { automatic, fallocate, zero_fill, adaptive };
// "auto", "fallocate", "zero", "adaptive" (log.preallocate.method).
const char* preallocation_name(preallocation p);
bool parse_preallocation(const std::string& name, preallocation* out);
// What a failed write, open or allocation means to appends.
log_errc log_errc_from_io(io_errc e);

// Kafka's smallest segment.bytes.
constexpr uint64_t k_segment_bytes_min = 14;

struct log_options {
  std::string dir;
  uint64_t segment_bytes_max = 1ULL << 30;
  int64_t segment_ms_max = 7LL * 24 * 3600 * 1000;
  uint64_t index_interval_bytes = 4096;
  uint64_t preallocate_bytes = 16ULL << 20;
  preallocation preallocate_method = preallocation::automatic;
  uint64_t zero_fill_below_write_bytes = 64 * 1024;  // adaptive: the small-write bound
  durability sync_policy = durability::sync_each;
  int64_t flush_interval_ms = 1000;
  int64_t retention_bytes = -1;
  int64_t retention_ms = 7LL * 24 * 3600 * 1000;
  // cleanup.policy: whether retention deletes old segments ("delete"), and
  // whether the log is compacted ("compact"; see compact()).
  bool retention_deletes = true;
  bool compacted = false;
  // compression.type: the codec every appended batch is recompressed to
  // (leader path); nullopt ("producer"): batches stay as producers sent them.
  std::optional<codec> recompress_to;
  // Compaction (compaction_options takes these for each pass).
  int64_t delete_retention_ms = 86400000;
  double min_cleanable_dirty_ratio = 0.5;
  int64_t min_compaction_lag_ms = 0;
  int64_t max_compaction_lag_ms = INT64_MAX;
  timestamp_type timestamps = timestamp_type::create_time;
  size_t batch_bytes_max = (1 << 20) + 1024;
  size_t hot_tail_bytes_max = 8 << 20;  // this log's own cap
  size_t staging_bytes_max = 4 << 20;   // the largest staging buffer
  // The shard's memory for staging and hot tails, shared by its logs under
  // its budgets; null: the log has its own, unbounded.
  staging_pool* staging = nullptr;
  hot_tail_cache* hot_tails = nullptr;
  // The shard's total of preallocation windows; null: unbounded.
  space_reservations* reservations = nullptr;
  // The first preallocation window (it then follows the write rate, up to
  // preallocate_bytes).
  uint64_t preallocate_initial_bytes = 256 * 1024;
  direct_io direct = direct_io::on;
  std::function<int64_t()> now_ms;  // wall clock; defaults to the system clock
};

using batch_bytes = std::shared_ptr<std::vector<uint8_t>>;

struct batch_slice {
  std::shared_ptr<const std::vector<uint8_t>> owner;
  std::span<const uint8_t> bytes;
};

struct read_result {
  std::vector<batch_slice> slices;  // whole batches, in offset order
  size_t bytes = 0;
  bool from_memory = true;
};

struct timestamp_lookup {
  int64_t offset = -1;
  int64_t timestamp = -1;
};

struct append_result {
  int64_t base_offset;
  int64_t last_offset;
  int64_t log_append_time_ms;  // -1 unless the topic uses LogAppendTime
};

// An append that has its offsets and is on its way to the file; await
// partition_log::wait_written() for its fate.
struct staged_append {
  append_result offsets;
  uint64_t failure_generation;  // a failure after staging fails this append
};

// What one compaction pass may do (partition_log::compact).
struct compaction_options {
  int64_t clean_below = INT64_MAX;            // only segments wholly below (the high watermark)
  double min_cleanable_dirty_ratio = 0.5;     // min.cleanable.dirty.ratio
  int64_t delete_retention_ms = 86400000;     // tombstones older than this go
  int64_t min_compaction_lag_ms = 0;          // segments with newer records wait
  int64_t max_compaction_lag_ms = INT64_MAX;  // dirty data this old is cleaned whatever the ratio
  size_t key_map_bytes = 8 << 20;             // the offset map's memory
  // Called with the bytes read or written so far in the pass; may wait
  // (the cleaner's I/O budget). Null: no limit.
  std::function<task<void>(uint64_t)> throttle;
};

struct compaction_stats {
  bool ran = false;
  int segments_rewritten = 0;
  uint64_t bytes_before = 0;
  uint64_t bytes_after = 0;
  int64_t records_removed = 0;
  size_t keys = 0;
  int64_t cleaned_to = -1;  // the new checkpoint
};

struct log_counters {
  uint64_t writes = 0;
  uint64_t syncs = 0;
  uint64_t appends = 0;
  uint64_t bytes_read_memory = 0;
  uint64_t bytes_read_disk = 0;
};

class partition_log {
 public:
  // Opens (recovering) or creates the log in options.dir.
  static task<result<std::unique_ptr<partition_log>, log_errc>> open(file_io& io,
                                                                     log_options options);
  ~partition_log();
  partition_log(const partition_log&) = delete;
  partition_log& operator=(const partition_log&) = delete;

  // Appends are given offsets in the order they are called, whatever waits
  // (staging space, a segment roll) any of them meets: the first caller to
  // reach a wait is the first to leave it.
  //
  // Leader path: validates the batch, assigns offsets from the log end and
  // the leader epoch, and returns once the append is written (durable under
  // sync_each). REQUIRES: batch holds exactly one batch.
  task<result<append_result, log_errc>> append(batch_bytes batch, int32_t leader_epoch);
  // The first half of append(): returns as soon as the batch has its
  // offsets, so a caller can stage several batches back to back and then
  // wait for all of them (wait_written).
  task<result<staged_append, log_errc>> stage_append(batch_bytes batch, int32_t leader_epoch);
  // The second half: ok once the staged append is written (durable under
  // sync_each); the failure that dropped it otherwise.
  task<log_errc> wait_written(const staged_append& staged);
  // Follower path: the batch keeps its offsets and epoch; it must start at
  // the log end.
  task<result<append_result, log_errc>> append_replicated(batch_bytes batch);

  // Batches with offsets in [offset, bound) up to max_bytes (at least one
  // whole batch if any). offset_out_of_range below the log start or above
  // the log end.
  task<result<read_result, log_errc>> read(int64_t offset, size_t max_bytes, int64_t bound);
  // The first record whose timestamp is >= timestamp_ms (offset -1 when
  // none): Kafka's ListOffsets by time. Within a compressed batch, which
  // the log cannot look into, the batch's first offset and max timestamp.
  task<result<timestamp_lookup, log_errc>> offset_for_timestamp(int64_t timestamp_ms);
  // The record with the largest timestamp (the first of them), below
  // bound: ListOffsets' MAX_TIMESTAMP (KIP-734).
  task<result<timestamp_lookup, log_errc>> max_timestamp_record(int64_t bound);

  // Removes everything at or after offset (rounded down to a batch start).
  task<log_errc> truncate_to(int64_t offset);
  // Deletes all segments and restarts the log at offset (a follower whose
  // leader's log starts past everything it has).
  task<log_errc> reset_to(int64_t offset);
  // fdatasync of everything written so far.
  task<log_errc> flush();
  // Interval policy: syncs when flush_interval_ms passed since the last sync.
  task<log_errc> flush_if_due();
  // Deletes whole segments past retention.bytes / retention.ms.
  task<log_errc> apply_retention();
  // DeleteRecords: the log starts at offset from now on (reads below it are
  // out of range); whole segments below it are deleted, never the active
  // one. Durable on return (the start offset file is replaced atomically).
  // REQUIRES: offset <= log_end_offset().
  task<log_errc> advance_log_start(int64_t offset);
  // Log compaction (partition_log_compact.cc): keeps the latest record of
  // each key in the closed segments below o.clean_below, drops tombstones
  // older than o.delete_retention_ms, never changes an offset or the order,
  // never touches the active segment. Runs when the dirty part (past the
  // cleaner checkpoint) is at least o.min_cleanable_dirty_ratio of the
  // cleanable bytes. A segment is rewritten beside the original and renamed
  // over it; a crash leaves one or the other.
  task<result<compaction_stats, log_errc>> compact(compaction_options o);
  // A log that has not appended for idle_ms gives back the space it holds
  // ahead of its data beyond its first window (256 KiB) and resets its
  // window: an idle partition does not keep a busy one's reservation.
  task<log_errc> trim_idle_reservation(int64_t idle_ms);
  // Flushes and closes every file.
  task<void> close();

  int64_t log_start_offset() const { return log_start_offset_; }
  // One past the last offset written to the file: what reads can reach.
  int64_t log_end_offset() const { return written_offset_; }
  int64_t durable_end_offset() const { return durable_offset_; }
  bool offline() const { return offline_; }
  leader_epoch_cache& epochs() { return epochs_; }
  const aborted_txn_index& aborted_txns() const { return aborted_; }
  // A small file of the partition's own (a layer above keeps its state
  // there), replaced atomically; nullopt when absent or unreadable.
  task<log_errc> store_sidecar(const std::string& name, const std::string& contents);
  task<std::optional<std::string>> load_sidecar(const std::string& name);
  // Records an aborted transaction whose marker is in the log (durable on
  // return; a known one is not written again).
  task<log_errc> add_aborted_txn(const aborted_txn& t);
  const log_counters& counters() const { return counters_; }
  size_t segment_count() const { return segments_.size(); }
  uint64_t size_bytes() const;
  const log_options& options() const { return options_; }
  // An offset about bytes_back bytes before the log end (a batch start, per
  // the sparse index), for scans of recent history.
  int64_t offset_bytes_before_end(uint64_t bytes_back) const;
  // Closes the read descriptors a one-off scan opened (a replica's
  // producer state restored at start), unless a read still uses them: a
  // broker with 10,000 replicas must not hold two descriptors for each.
  task<void> release_read_descriptors();
  // The segment holding offset, if any (tests, tools).
  const segment* segment_for(int64_t offset) const;

 private:
  struct hot_batch {
    int64_t base_offset;
    int64_t last_offset;
    batch_bytes bytes;
  };
  // The aligned staging buffer: bytes to be written at file_position.
  struct staging {
    aligned_buffer buffer;
    uint64_t file_position = 0;  // page-aligned
    size_t fill = 0;             // bytes used
    size_t carried = 0;          // leading bytes already on disk (the tail page)
    int64_t end_offset = 0;      // one past the last staged batch
  };

  partition_log(file_io& io, log_options options);
  int64_t now_ms() const;
  segment& active() { return *segments_.rbegin()->second; }

  // Recovery (partition_log_open.cc).
  task<log_errc> recover();
  task<log_errc> load_closed_segment(segment& s);
  // A segment whose indexes were written, holding data_bytes of data.
  task<log_errc> load_indexed_segment(segment& s, uint64_t data_bytes);
  // clean_bytes: the data size a clean shutdown recorded, or -1 (scan).
  task<log_errc> recover_active_segment(segment& s, int64_t clean_bytes);
  // Reads and removes the clean-shutdown marker: the active segment's data
  // size, or -1 when there is none or it does not match.
  task<int64_t> take_clean_shutdown_marker(int64_t active_base);
  // close(): after a final flush, the active segment's indexes and the
  // marker, so the next open skips the scan.
  task<void> write_clean_shutdown_marker();
  // Writes a segment's offset and time indexes (a finished segment's, or the
  // active one's at a clean close).
  task<log_errc> write_indexes(segment& s);
  task<log_errc> rebuild_indexes(segment& s, uint64_t end_position);
  task<log_errc> create_segment(int64_t base_offset);
  task<log_errc> open_active_for_write();
  task<log_errc> persist_log_start();
  task<log_errc> persist_aborted_txns();

  // Write path (partition_log.cc).
  // REQUIRES: the caller holds an append turn and the batch fits.
  staged_append stage_now(const batch_bytes& batch, int64_t log_append_ms);
  void stage(const batch_bytes& batch);
  task<log_errc> wait_until_written(int64_t end_offset, uint64_t failure_generation);
  void start_flusher();
  task<void> flush_loop();
  task<log_errc> write_staged(staging& in_flight, bool sync);
  void fail_staged(log_errc reason, const staging& failed);
  // A staging buffer at file_position holding the carried tail page, of
  // capacity for about capacity_hint bytes when the pool has room (one page
  // otherwise). replace_staging() gives the current buffer back first.
  staging fresh_staging(uint64_t file_position, std::span<const uint8_t> carried_tail,
                        size_t capacity_hint = 0);
  void replace_staging(staging next);
  // Makes room for incoming bytes in the staging buffer: grows it from the
  // pool (false: the pool is at its budget, or the buffer at its largest).
  bool grow_staging(size_t incoming_bytes);
  // The idle log's staging goes back to one page.
  void shrink_idle_staging();
  task<log_errc> maybe_roll(size_t incoming_bytes);
  task<log_errc> roll();
  task<void> wait_idle();

  // Space ahead of the write position (partition_log_prepare.cc).
  preallocation effective_preallocation() const;
  bool zero_fills() const { return effective_preallocation() == preallocation::zero_fill; }
  task<log_errc> prepare_space(segment& s, uint64_t write_end);
  // Reserves write_end plus the window once a write reaches past
  // reserve_when_past (adaptive renews half a window early).
  task<log_errc> fallocate_ahead(segment& s, uint64_t write_end, uint64_t reserve_when_past);
  // adaptive (partition_log_prepare.cc): whether to zero ahead; stopping the
  // filler before a write that reaches it; starting it past a write that
  // claimed [.., write_end).
  bool zeroing_ahead() const;
  task<void> stop_zero_filler_behind(segment& s, uint64_t write_end);
  void zero_ahead_of(segment& s, uint64_t write_end);
  void note_write_size(size_t new_bytes);
  // The space to keep prepared ahead of the writes (space_reservations.h);
  // adapt_window() resizes it when a write passes the reserved end.
  uint64_t window() const { return window_bytes_; }
  void adapt_window();
  // After a failed fdatasync: refuses further appends and wakes waiters.
  void take_offline(const char* what, io_errc e);
  void start_zero_filler(segment& s);
  task<void> zero_fill_loop(segment& s);
  task<log_errc> finalize_segment(segment& s);

  // Read path (partition_log_read.cc). A segment's read descriptor is
  // opened when a read needs it (the hot tail serves most reads), so an
  // opened log holds one descriptor: thousands of partitions fit the limit.
  task<result<int, log_errc>> read_fd_of(segment& s);
  task<void> close_read_fds();
  read_result read_hot(int64_t offset, size_t max_bytes, int64_t bound);
  task<result<read_result, log_errc>> read_cold(int64_t offset, size_t max_bytes, int64_t bound);
  task<result<read_result, log_errc>> read_cold_counted(int64_t offset, size_t max_bytes,
                                                        int64_t bound);
  task<result<timestamp_lookup, log_errc>> offset_for_timestamp_counted(int64_t timestamp_ms);
  task<result<timestamp_lookup, log_errc>> max_timestamp_counted(int64_t bound);
  void trim_hot_tail();
  // Every change of the hot tail goes through these (bytes and the cache).
  void hot_push(hot_batch b);
  void hot_pop_front();
  void hot_pop_back();
  size_t hot_tail_bytes() const { return hot_member_.hot_bytes(); }
  void hot_clear();
  size_t evict_hot(size_t bytes);

  // Compaction (partition_log_compact.cc).
  task<int64_t> cleaner_checkpoint();
  task<log_errc> build_key_map(const std::vector<segment*>& dirty, key_map* map,
                               const compaction_options& o, uint64_t* io_bytes, int64_t* mapped_to);
  // Rewrites s without what map and the tombstone rule drop.
  task<log_errc> clean_segment(segment& s, const key_map& map, const compaction_options& o,
                               int64_t now, uint64_t* io_bytes, compaction_stats* stats);
  task<log_errc> swap_cleaned_segment(segment& s, offset_index index, time_index timestamps,
                                      uint64_t size_bytes);
  // Descriptors replaced while reads may still use them close once no
  // cold read is in flight.
  task<void> close_retired_fds();
  // Truncation, retention and close wait for a compaction pass to end.
  task<void> wait_for_compaction();

  // Truncation and retention (partition_log_truncate.cc).
  task<log_errc> delete_segment(int64_t base_offset);
  task<log_errc> reload_staging_tail();

  file_io& io_;
  log_options options_;
  std::map<int64_t, std::unique_ptr<segment>> segments_;
  leader_epoch_cache epochs_;
  aborted_txn_index aborted_;
  int64_t log_start_offset_ = 0;
  int64_t next_offset_ = 0;     // next offset to assign
  int64_t written_offset_ = 0;  // end of what the file holds
  int64_t durable_offset_ = 0;  // end of what was fdatasync'd
  int64_t last_sync_ms_ = 0;
  // The log's memory: the shard's (log_options) or its own.
  struct hot_tail_member final : hot_tail_cache::member {
    partition_log* log = nullptr;
    size_t evict_hot_tail(size_t bytes) override { return log->evict_hot(bytes); }
  };
  std::unique_ptr<staging_pool> own_staging_pool_;
  std::unique_ptr<hot_tail_cache> own_hot_tails_;
  staging_pool* pool_ = nullptr;
  hot_tail_cache* hot_tails_ = nullptr;
  hot_tail_member hot_member_;
  uint64_t window_bytes_ = 0;       // the preallocation window (see adapt_window)
  int64_t last_write_ms_ = 0;       // when the flusher last wrote
  int64_t window_reserved_ms_ = 0;  // when the window was last reserved
  staging staging_;
  std::deque<hot_batch> hot_tail_;
  bool flusher_running_ = false;
  bool zero_filler_running_ = false;
  int quiescing_ = 0;                      // wait_idle callers: keep the filler short
  uint64_t zero_fill_target_ = 0;          // file position the filler works towards
  uint64_t average_write_bytes_ = 0;       // new bytes per write, moving average (adaptive)
  io_errc zero_fill_error_ = io_errc::ok;  // the filler's last failure, until it restarts
  bool rolling_ = false;
  bool offline_ = false;
  bool closing_ = false;
  uint64_t failure_generation_ = 0;
  log_errc last_failure_ = log_errc::ok;
  int64_t cleaned_offset_ = -1;  // the cleaner checkpoint (-1: not read yet)
  bool compacting_ = false;
  bool stop_compaction_ = false;  // close(): the pass stops at the next segment
  int cold_reads_ = 0;            // disk reads in flight (they hold read descriptors)
  std::vector<int> retired_fds_;  // read descriptors of replaced segment files
  waiter_list progress_;          // woken on every write, sync, failure, roll
  turn_queue append_turns_;       // appends take offsets in call order
  log_counters counters_;
};

}  // namespace rill::storage
