#!/usr/bin/env bash
# The main job: installs dependencies, builds, and starts a local cluster in
# the foreground (Ctrl-C stops it). Extra arguments go to `rill dev run`.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/setup.sh"
"$root/scripts/build.sh" release
exec "$root/build/rill" dev run "$@"
