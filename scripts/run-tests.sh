#!/usr/bin/env bash
# Configures, builds and tests each CMake preset (release, then asan: clang with ASan+UBSan and
# the libFuzzer targets, whose ctest run replays every fuzz corpus), then prints one line
# "N passed, N failed" summed over all presets. Exits non-zero if anything failed; a preset that
# fails to configure or build, or that has no tests, counts as one failure.
#
# Environment: PRESETS (default "release asan"), JOBS (default nproc), TEST_TIMEOUT (seconds per
# test, default 900), ASAN_OPTIONS / UBSAN_OPTIONS (sensible defaults below).
# Logs: build/test-logs/<preset>.log
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

read -r -a presets <<<"${PRESETS:-release asan}"
jobs=${JOBS:-$(nproc)}
timeout=${TEST_TIMEOUT:-900}
log_dir=build/test-logs
mkdir -p "$log_dir"

export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=1:print_stacktrace=1:strict_string_checks=1:check_initialization_order=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
if [[ -z "${ASAN_SYMBOLIZER_PATH:-}" && -x /usr/lib/llvm-14/bin/llvm-symbolizer ]]; then
  export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-14/bin/llvm-symbolizer
fi

total_passed=0
total_failed=0
summaries=()

for preset in "${presets[@]}"; do
  log="$log_dir/$preset.log"
  echo "=== $preset: configure and build (-j$jobs)"
  if ! cmake --preset "$preset"; then
    summaries+=("$preset: configure FAILED (counted as 1 failure)")
    total_failed=$((total_failed + 1))
    continue
  fi
  if ! cmake --build --preset "$preset" -j "$jobs"; then
    summaries+=("$preset: build FAILED (counted as 1 failure)")
    total_failed=$((total_failed + 1))
    continue
  fi

  echo "=== $preset: ctest"
  ctest --preset "$preset" -j "$jobs" --timeout "$timeout" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}

  # ctest's summary: "97% tests passed, 1 tests failed out of 40".
  line=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1)
  if [[ -n "$line" ]]; then
    failed=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line")
    total=$(sed -E 's/.* failed out of ([0-9]+).*/\1/' <<<"$line")
    passed=$((total - failed))
    if [[ $rc -ne 0 && $failed -eq 0 ]]; then
      failed=1  # ctest itself reported an error beyond the tests
      summaries+=("$preset: $line, but ctest exited $rc (counted as 1 failure)")
    else
      summaries+=("$preset: $line")
    fi
    total_passed=$((total_passed + passed))
    total_failed=$((total_failed + failed))
  elif grep -q 'No tests were found' "$log"; then
    summaries+=("$preset: no tests were found (counted as 1 failure)")
    total_failed=$((total_failed + 1))
  else
    summaries+=("$preset: ctest exited $rc without a summary (counted as 1 failure)")
    total_failed=$((total_failed + 1))
  fi
done

echo
echo "=== summary"
printf '%s\n' "${summaries[@]}"
echo "$total_passed passed, $total_failed failed"
[[ $total_failed -eq 0 ]]
