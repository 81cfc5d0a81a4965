#!/usr/bin/env bash
# fuzz.sh [SECONDS] - run every libFuzzer target of build-fuzz/ for SECONDS
# (default 60) each, seeded from its corpus; new inputs go to a scratch
# corpus, crashes to build-fuzz/crashes/. Exit 1 if any target failed.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-60}
bin="$root/build-fuzz/fuzz"
out="$root/build-fuzz/crashes"
mkdir -p "$out"
rc=0
shopt -s nullglob
targets=()
for t in "$bin"/fuzz_*; do
  [ -x "$t" ] && [ -f "$t" ] && targets+=("$t")
done
if [ ${#targets[@]} -eq 0 ]; then
  echo "fuzz: no targets in $bin (cmake --preset fuzz && cmake --build build-fuzz)"
  exit 1
fi
for t in "${targets[@]}"; do
  name=$(basename "$t")
  scratch=$(mktemp -d)
  seeds=()
  if [ -f "$t.corpus" ]; then
    while IFS= read -r d; do
      [ -n "$d" ] && [ -e "$d" ] && seeds+=("$d")
    done <"$t.corpus"
  fi
  echo "fuzz: $name for ${secs}s"
  if ! "$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix="$out/$name-" -print_final_stats=1 "$scratch" "${seeds[@]}" \
      >"$out/$name.log" 2>&1; then
    echo "fuzz: $name FAILED (log: $out/$name.log)"
    tail -n 30 "$out/$name.log"
    rc=1
  else
    grep -E 'stat::number_of_executed_units|stat::peak_rss_mb' "$out/$name.log" | tr '\n' ' '
    echo
  fi
  rm -rf "$scratch"
done
exit $rc
