#!/usr/bin/env bash
# make fuzz: build the libFuzzer targets (tests/fuzz/fuzz_*.c) with clang, ASan and UBSan, then run each
# for SECONDS seconds on a scratch copy of its seed corpus, so tests/fuzz/corpus/ in the repo stays as
# committed. Exits non-zero if any fuzzer crashed, leaked, timed out or ran out of memory; the
# reproducer is left in build-fuzz/artifacts-NAME/ (run it again with: build-fuzz/fuzz_NAME FILE).
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  echo "usage: scripts/fuzz.sh SECONDS" >&2
  exit 2
}
[[ $# -eq 1 && $1 =~ ^[0-9]+$ && $1 -gt 0 ]] || usage
seconds=$1
build=build-fuzz

command -v clang >/dev/null || { echo "fuzz: clang is not installed" >&2; exit 1; }

# A build directory configured with another compiler keeps it in its cache: start that one afresh.
if [[ -f $build/CMakeCache.txt ]] && ! grep -q '^CMAKE_C_COMPILER:[A-Z]*=.*clang' "$build/CMakeCache.txt"; then
  echo "fuzz: $build was configured with another compiler; reconfiguring with clang"
  rm -rf "$build"
fi

# JG_FUZZ instruments the whole library for coverage (-fsanitize=fuzzer-no-link, CMakeLists.txt).
CC=clang cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DJG_FUZZ=ON -DJG_SANITIZE=ON \
  -DJG_TESTS=OFF -DCMAKE_C_FLAGS= >/dev/null
cmake --build "$build" -j "$(nproc)"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

shopt -s nullglob
fuzzers=("$build"/fuzz_*)
if [[ ${#fuzzers[@]} -eq 0 ]]; then
  echo "fuzz: no fuzz_* binaries in $build" >&2
  exit 1
fi

failed=()
summary=()
for bin in "${fuzzers[@]}"; do
  [[ -f $bin && -x $bin ]] || continue
  name=$(basename "$bin")
  short=${name#fuzz_}
  corpus=$build/corpus-$short
  artifacts=$build/artifacts-$short
  log=$build/$name.log
  rm -rf "$artifacts"
  mkdir -p "$corpus" "$artifacts"
  # Seeds are copied in each run; what the fuzzer found in earlier runs stays in the copy.
  if [[ -d tests/fuzz/corpus/$short ]]; then
    cp -f tests/fuzz/corpus/"$short"/* "$corpus"/ 2>/dev/null || true
  fi
  args=(-max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 -print_final_stats=1
        -artifact_prefix="$artifacts/")
  if [[ -f tests/fuzz/$name.dict ]]; then
    args+=(-dict="tests/fuzz/$name.dict")
  fi
  echo "== $name for ${seconds}s (corpus $corpus)"
  rc=0
  "$bin" "${args[@]}" "$corpus" >"$log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  units=$(find "$corpus" -type f | wc -l)
  if [[ $rc -ne 0 ]]; then
    failed+=("$name")
    summary+=("$name: FAILED (exit $rc) after ${execs:-?} executions; log $log")
    echo "-- $name failed (exit $rc); the report:"
    # The sanitizer or libFuzzer report, without the per-input progress lines.
    grep -vE '^#[0-9]+[[:space:]]+(NEW|REDUCE|pulse|INITED)' "$log" | tail -n 80
    for a in "$artifacts"/*; do
      echo "-- reproducer: $a ($(stat -c %s "$a") bytes): $bin $a"
    done
  else
    summary+=("$name: ok, ${execs:-?} executions, corpus $units files")
  fi
done

echo "== fuzz summary"
printf '%s\n' "${summary[@]}"
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzz: ${#failed[@]} fuzzer(s) failed: ${failed[*]}" >&2
  exit 1
fi
