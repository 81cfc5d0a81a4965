#!/usr/bin/env bash
# format.sh - clang-format every C file of the project.
#   tools/format.sh          rewrite in place
#   tools/format.sh --check  report files that would change, exit 1 if any
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.c' '*.h')
if [ "${1:-}" = "--check" ]; then
  clang-format --dry-run --Werror "${files[@]}"
  echo "clang-format: ${#files[@]} files clean"
else
  clang-format -i "${files[@]}"
fi
