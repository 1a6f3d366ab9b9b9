#!/usr/bin/env bash
# Probes the disk under a directory with fio (io_uring, O_DIRECT): sequential
# write bandwidth (1 MiB, qd 4; 16 KiB, qd 1 and 16) and 16 KiB
# write+fdatasync latency. Prints one JSON object.
# usage: tuning/probe_disk.sh [DIR] [SIZE_MB]
set -euo pipefail
dir="${1:-/var/tmp}"
size_mb="${2:-512}"
file="$dir/rill-probe-$$.dat"
trap 'rm -f "$file"' EXIT
run() {
  fio --name=probe --filename="$file" --rw=write --size="${size_mb}m" --ioengine=io_uring --direct=1 \
    --lat_percentiles=1 --output-format=json "$@" 2>/dev/null
}
bw() { /usr/bin/python3 -c 'import json,sys; print(round(json.load(sys.stdin)["jobs"][0]["write"]["bw_bytes"]/1e6,1))'; }
lat() {
  /usr/bin/python3 -c '
import json, sys
j = json.load(sys.stdin)["jobs"][0]
w = j["write"]["lat_ns"]["percentile"]; s = j["sync"]["lat_ns"]["percentile"]
print(json.dumps({"write_p50_us": w["50.000000"]/1e3, "write_p99_us": w["99.000000"]/1e3,
                  "fdatasync_p50_us": s["50.000000"]/1e3, "fdatasync_p99_us": s["99.000000"]/1e3}))'
}
seq_1m=$(run --bs=1m --iodepth=4 | bw)
seq_16k_qd1=$(run --bs=16k --iodepth=1 | bw)
seq_16k_qd16=$(run --bs=16k --iodepth=16 | bw)
sync_16k=$(fio --name=probe --filename="$file" --rw=write --size=64m --bs=16k --ioengine=io_uring --direct=1 \
  --fdatasync=1 --lat_percentiles=1 --output-format=json 2>/dev/null | lat)
printf '{"dir": "%s", "seq_write_1m_qd4_mb_s": %s, "seq_write_16k_qd1_mb_s": %s, "seq_write_16k_qd16_mb_s": %s, "write_fdatasync_16k": %s}\n' \
  "$dir" "$seq_1m" "$seq_16k_qd1" "$seq_16k_qd16" "$sync_16k"
