#!/usr/bin/env bash
# tidy.sh BUILD_DIR - clang-tidy (repo .clang-tidy) over the project's own
# sources listed in BUILD_DIR/compile_commands.json; exits 1 on any finding.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
cd "$root"
rc=0
runner=$(command -v run-clang-tidy || command -v run-clang-tidy-14 || true)
if [ -z "$runner" ]; then
  echo "tidy: run-clang-tidy not found (apt-get install clang-tidy)" >&2
  exit 1
fi
"$runner" -quiet -p "$build" -j "$(nproc)" \
  "^$root/(common|proto|ingress|processor|tools)/.*\\.c$" >"$build/tidy.log" 2>&1 || rc=$?
if grep -qE '(warning|error):' "$build/tidy.log"; then
  grep -E '(warning|error):' "$build/tidy.log" | sort -u | head -n 100
  echo "clang-tidy: findings (full log: $build/tidy.log)"
  exit 1
fi
echo "clang-tidy: clean"
exit $rc
