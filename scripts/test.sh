#!/usr/bin/env bash
# The test command: installs dependencies, builds, and runs every check that
# gates a change. Unit tests run under ASan+UBSan; integration tests drive the
# release binaries with real clients. Long soaks are separate (see README).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
"$root/scripts/setup.sh"
"$root/scripts/check_format.sh"
/usr/bin/python3 "$root/scripts/check_layers.py"
"$root/scripts/build.sh" sanitize
RILL_RELEASE_UNIT_TESTS=OFF "$root/scripts/build.sh" release  # its unit tests run from build-sanitize
echo "== clang-tidy on the sources of the last commits"
"$root/scripts/tidy.sh"
echo "== unit tests (ASan+UBSan)"
(cd build-sanitize && ASAN_OPTIONS=detect_leaks=1 ctest -L unit --output-on-failure -j2 --timeout 300)
echo "== integration tests (release build, real clients)"
(cd build && ctest -L integration --output-on-failure --timeout 600)
echo "== fault harness: short run (every fault kind once: processes, network namespaces, full disks)"
/usr/bin/python3 "$root/tests/fault/chaos.py" --seed "${RILL_CHAOS_SEED:-14}" --faults 9 2>&1 | grep -v '^%'
echo "== fuzzing request decoding (bounded)"
"$root/scripts/build.sh" fuzz
mkdir -p build-fuzz/corpus
"$root/build-fuzz/tests/fuzz/request_decode_fuzz" -max_total_time="${RILL_FUZZ_SECONDS:-30}" -print_final_stats=1 \
  build-fuzz/corpus "$root/tests/fuzz/corpus" 2>&1 | tail -5
echo "== all tests passed"
