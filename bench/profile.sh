#!/usr/bin/env bash
# bench/profile.sh [WORKLOAD] [SECONDS]: where the CPU time goes under a
# workload from bench/workloads (default rf1-acks1-1p). Starts the workload's
# cluster with `rill dev start` (flush policy replication, as bench/report),
# runs rill-bench against it, and records every process of the machine with
# `perf record -a -g` for SECONDS (default 5) in the middle of the run. Prints
# the CPU share per program and thread, then the top symbols of the first
# broker; perf.data stays in the output directory for `perf report -i`.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
workload="${1:-rf1-acks1-1p}"
seconds="${2:-5}"
conf="$root/bench/workloads/$workload.conf"
[[ -f "$conf" ]] || { echo "no workload $conf" >&2; exit 2; }
command -v perf >/dev/null || { echo "perf is not installed (apt-get install linux-perf)" >&2; exit 2; }
value() { sed -n "s/^$1=//p" "$conf"; }
out="$(mktemp -d /var/tmp/rill-profile-XXXXXX)"
rill="$root/build/rill"
"$rill" dev start --dir="$out/cluster" --brokers="$(value brokers)" --base-port=19092 \
  --controller-port=19190 --broker-arg=--log.flush.policy=replication >/dev/null
trap '"$rill" dev stop --dir="$out/cluster" >/dev/null 2>&1 || true' EXIT
duration=$((seconds + 6))
"$root/build/rill-bench" produce --bootstrap=127.0.0.1:19092 --topic="profile-$RANDOM" \
  --partitions="$(value partitions)" --replication-factor="$(value replication-factor)" \
  --acks="$(value acks)" --record-bytes="$(value record-bytes)" --rate="$(value rate)" \
  --linger-ms="$(value linger-ms)" --batch-bytes="$(value batch-bytes)" \
  --producers="$(value producers)" --duration-s="$duration" --warmup-s=0 >"$out/bench.txt" 2>&1 &
bench=$!
sleep 3
perf record -a -g -o "$out/perf.data" -- sleep "$seconds" >/dev/null 2>&1
wait "$bench"
broker_pid="$("$rill" dev status --dir="$out/cluster" | awk '$1 == "broker" {print $3; exit}')"
echo "== $workload"
grep -E "^ *produce:|^latency ms:" "$out/bench.txt" || tail -n 5 "$out/bench.txt"
echo "== CPU samples by program and thread (all CPUs, ${seconds}s)"
perf report -i "$out/perf.data" --no-children --sort comm -g none --stdio 2>/dev/null |
  grep -v '^#' | grep -v '^$' | head -12
echo "== top symbols in the first broker (pid $broker_pid)"
perf report -i "$out/perf.data" --no-children --pid "$broker_pid" --sort dso,sym --stdio -g none 2>/dev/null |
  grep -v '^#' | grep -v '^$' | head -25
echo "== perf.data and bench output: $out"
