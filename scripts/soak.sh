#!/usr/bin/env bash
# Long fault run: scripts/soak.sh MINUTES [SEED]. Builds first; prints the
# report of tests/fault/chaos.py (zero lost/duplicated/reordered required).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
minutes="${1:-30}"
seed="${2:-$RANDOM$RANDOM}"
"$root/scripts/setup.sh" >/dev/null
"$root/scripts/build.sh" release >/dev/null
RILL_BINARY="$root/build/rill" exec /usr/bin/python3 "$root/tests/fault/chaos.py" --seed "$seed" --soak "$minutes" 2>&1 \
  | grep -v '^%'
