#!/usr/bin/env bash
# Fails when a project source differs from what .clang-format asks for.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
files=$(git ls-files '*.h' '*.cc' | grep -E '^(base|storage|dataplane|control|cli|bench|tests|tuning)/' || true)
if [[ -z "$files" ]]; then exit 0; fi
if ! clang-format --dry-run --Werror $files; then
  echo "check_format: run clang-format -i on the files above" >&2
  exit 1
fi
echo "check_format: $(echo "$files" | wc -l) files clean"
