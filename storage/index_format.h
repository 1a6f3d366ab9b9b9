// On-disk formats of a segment's sparse indexes (docs/formats/log_segment.md).
// Never renumber.
#pragma once

#include <cstddef>
#include <cstdint>

namespace rill::storage::index_format {

// <base>.index: entries of {relative_offset: u32 BE, position: u32 BE}.
constexpr size_t offset_entry_bytes = 8;
// <base>.timeindex: entries of {timestamp_ms: i64 BE, relative_offset: u32 BE}.
constexpr size_t time_entry_bytes = 12;
// File names: the segment's base offset, zero-padded to 20 digits.
constexpr size_t file_name_digits = 20;
constexpr const char* log_suffix = ".log";
constexpr const char* offset_index_suffix = ".index";
constexpr const char* time_index_suffix = ".timeindex";
// Left by a clean close, removed by the next open before any write:
// "<active segment base offset> <its data bytes>\n". With it, the active
// segment's indexes (written at the close) are trusted and only the tail
// behind their last entry is read.
constexpr const char* clean_shutdown_file = "clean-shutdown";
// Compaction: "<first dirty offset>\n", the end of what the cleaner has
// compacted; and the suffix of a segment being rewritten (left over by a
// crash: removed at open, the original is intact).
constexpr const char* cleaner_checkpoint_file = "cleaner-checkpoint";
constexpr const char* cleaning_suffix = ".log.cleaned";

}  // namespace rill::storage::index_format
