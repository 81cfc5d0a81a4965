#!/usr/bin/env bash
# test.sh - the whole test suite, as CI runs it (.ci/run calls exactly this).
# Installs missing Debian packages, then:
#   1. debug build (gcc, -Werror): unit, integration, fuzz-corpus replay and
#      deploy checks (ctest)
#   2. ASan+UBSan build (clang): unit, integration and fuzz replay again,
#      LeakSanitizer on
#   3. libFuzzer smoke: every fuzz target for CCAI_FUZZ_SECONDS (default 15)
#   4. clang-format, clang-tidy and cppcheck
# Options: --quick (step 1 only), --no-lint, --no-asan, --no-fuzz.
# Ends with one line "test.sh: N passed, N failed".
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1

quick=0 lint=1 asan=1 fuzz=1
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    --no-lint) lint=0 ;;
    --no-asan) asan=0 ;;
    --no-fuzz) fuzz=0 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "test.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

"$root/tools/deps.sh" || { echo "test.sh: cannot install packages"; exit 1; }

jobs=$(nproc 2>/dev/null || echo 2)
passed=0
failed=0
failures=()

step() { printf '\n=== %s ===\n' "$*"; }
record() { # record NAME STATUS
  if [ "$2" -eq 0 ]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    failures+=("$1")
  fi
}

# run_ctest NAME BUILD_DIR [ctest args...]: counts each ctest test
run_ctest() {
  local name=$1 dir=$2
  shift 2
  local log
  log=$(mktemp)
  ctest --test-dir "$dir" --output-on-failure -j"$jobs" "$@" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  local line total nfail
  line=$(grep -E 'tests passed, [0-9]+ tests failed out of [0-9]+' "$log" | tail -n 1)
  if [ -n "$line" ]; then
    total=$(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$line")
    nfail=$(sed -E 's/.*passed, ([0-9]+) tests failed.*/\1/' <<<"$line")
    passed=$((passed + total - nfail))
    failed=$((failed + nfail))
    [ "$nfail" -gt 0 ] && failures+=("$name: $nfail ctest failures")
  elif [ "$rc" -ne 0 ]; then
    failed=$((failed + 1))
    failures+=("$name: ctest did not run")
  fi
  rm -f "$log"
  if [ "$rc" -ne 0 ] && [ -z "$line" ]; then
    return 1
  fi
  return 0
}

step "debug build"
if cmake --preset debug >/dev/null && cmake --build build -j"$jobs"; then
  record "debug build" 0
  step "debug tests"
  run_ctest debug build
else
  record "debug build" 1
fi

if [ "$quick" -eq 0 ] && [ "$asan" -eq 1 ]; then
  step "asan+ubsan build"
  if cmake --preset asan >/dev/null && cmake --build build-asan -j"$jobs"; then
    record "asan build" 0
    step "asan+ubsan tests"
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    LSAN_OPTIONS=suppressions="$root/tests/lsan.supp":print_suppressions=0 \
      run_ctest asan build-asan -LE deploy
  else
    record "asan build" 1
  fi
fi

if [ "$quick" -eq 0 ] && [ "$fuzz" -eq 1 ]; then
  step "libFuzzer smoke (${CCAI_FUZZ_SECONDS:-15}s per target)"
  if cmake --preset fuzz >/dev/null && cmake --build build-fuzz -j"$jobs"; then
    "$root/tools/fuzz.sh" "${CCAI_FUZZ_SECONDS:-15}"
    record "fuzz smoke" $?
  else
    record "fuzz build" 1
  fi
fi

if [ "$quick" -eq 0 ] && [ "$lint" -eq 1 ]; then
  step "clang-format"
  "$root/tools/format.sh" --check
  record "clang-format" $?
  step "clang-tidy"
  "$root/tools/tidy.sh" build
  record "clang-tidy" $?
  step "cppcheck"
  cmake --build build --target cppcheck
  record "cppcheck" $?
fi

echo
if [ ${#failures[@]} -gt 0 ]; then
  printf 'failed: %s\n' "${failures[@]}"
fi
echo "test.sh: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
