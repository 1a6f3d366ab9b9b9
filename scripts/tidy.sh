#!/usr/bin/env bash
# clang-tidy with the checks in .clang-tidy, every warning an error, over the
# C++ sources changed since BASE, uncommitted changes included (default: the
# last RILL_TIDY_COMMITS commits, 5). A changed header is checked through the
# .cc of the same name.
# Needs build/compile_commands.json (scripts/build.sh release writes it).
#   scripts/tidy.sh [BASE]      e.g. scripts/tidy.sh origin/main before a push
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
db="$root/build/compile_commands.json"
[ -f "$db" ] || { echo "tidy: $db missing; run scripts/build.sh release first" >&2; exit 2; }
base="${1:-}"
if [ -z "$base" ]; then
  for n in $(seq "${RILL_TIDY_COMMITS:-5}" -1 1); do
    if git rev-parse --verify -q "HEAD~$n" >/dev/null; then base="HEAD~$n"; break; fi
  done
fi
if [ -z "$base" ]; then
  echo "tidy: no history to compare with (a shallow clone?); nothing checked"
  exit 0
fi
mapfile -t changed < <(git diff --name-only --diff-filter=d "$base" -- '*.cc' '*.h')
sources=()
for f in "${changed[@]}"; do
  case "$f" in
    *.h) cc="${f%.h}.cc" ;;
    *) cc="$f" ;;
  esac
  [ -f "$cc" ] || continue
  grep -q "\"file\": \"$root/$cc\"" "$db" || continue  # not built in this configuration
  sources+=("$cc")
done
mapfile -t sources < <(printf '%s\n' "${sources[@]}" | sort -u | sed '/^$/d')
if [ "${#sources[@]}" -eq 0 ]; then
  echo "tidy: no C++ source changed since $base"
  exit 0
fi
echo "tidy: ${#sources[@]} sources changed since $base"
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
status=0
printf '%s\n' "${sources[@]}" |
  xargs -P 2 -n 4 clang-tidy -p "$root/build" --quiet --warnings-as-errors='*' >"$out" 2>&1 || status=$?
grep -v -e '^[0-9]* warnings\? generated\.$' -e '^Suppressed [0-9]* warnings' -e '^Use -header-filter=' \
  "$out" || true
if [ "$status" -eq 0 ]; then echo "tidy: clean"; else echo "tidy: failed" >&2; fi
exit "$status"
