// control_batch: Kafka's transaction markers. A transaction ends with a
// control batch (attributes: transactional and control) from the
// producer's id and epoch holding one record whose key is
// [version int16 = 0][type int16: 0 abort, 1 commit] and whose value is
// [version int16 = 0][coordinator epoch int32]. Consumers never see these
// records; read_committed consumers use them to drop aborted batches.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace rill::storage {

enum class marker_type : int16_t { abort = 0, commit = 1 };

struct txn_marker {
  marker_type type = marker_type::abort;
  int32_t coordinator_epoch = 0;
};

// A control batch for producer_id/epoch; offsets are assigned on append.
std::vector<uint8_t> build_marker_batch(int64_t producer_id, int16_t producer_epoch,
                                        txn_marker marker, int64_t timestamp_ms);

// The marker of a control batch (one whole batch); nullopt when the batch
// is not a control batch or its record is not a marker this code knows.
std::optional<txn_marker> read_marker(std::span<const uint8_t> batch);

}  // namespace rill::storage
