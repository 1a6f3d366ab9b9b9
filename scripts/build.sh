#!/usr/bin/env bash
# Builds Rill. Usage: scripts/build.sh [release|sanitize|fuzz] (default release).
#   release:  build/         -O2 -g, mimalloc, benchmarks (unit tests too, unless
#             RILL_RELEASE_UNIT_TESTS=OFF, as the test command sets: it runs them
#             from the sanitize build)
#   sanitize: build-sanitize/ ASan+UBSan, unit tests only
#   fuzz:     build-fuzz/     libFuzzer targets (tests/fuzz)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
kind="${1:-release}"
jobs="${RILL_BUILD_JOBS:-2}"
# clang: see the note on g++ 12 in CMakeLists.txt.
export CC="${CC:-clang}" CXX="${CXX:-clang++}"
case "$kind" in
  release)
    cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=Release \
      -DRILL_BUILD_UNIT_TESTS="${RILL_RELEASE_UNIT_TESTS:-ON}" >/dev/null
    cmake --build "$root/build" -j"$jobs"
    ;;
  sanitize)
    cmake -S "$root" -B "$root/build-sanitize" -DCMAKE_BUILD_TYPE=Release -DRILL_SANITIZE=ON \
      -DRILL_BUILD_BENCH=OFF >/dev/null
    cmake --build "$root/build-sanitize" -j"$jobs"
    ;;
  fuzz)
    cmake -S "$root" -B "$root/build-fuzz" -DCMAKE_BUILD_TYPE=Release -DRILL_FUZZ=ON -DRILL_BUILD_BENCH=OFF \
      -DRILL_BUILD_TESTS=ON >/dev/null
    cmake --build "$root/build-fuzz" -j"$jobs" --target request_decode_fuzz
    ;;
  *)
    echo "usage: $0 [release|sanitize|fuzz]" >&2
    exit 2
    ;;
esac
