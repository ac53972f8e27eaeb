#!/usr/bin/env bash
# make test: unit tests, then the API tests on SQLite and on a real PostgreSQL 15, for the
# release build and again for the AddressSanitizer + UndefinedBehaviorSanitizer build, then the
# browser tests of the web workbench in Chromium.
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."
top=$PWD

scripts/install-deps.sh test
jobs=$(nproc)
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DJG_WERROR=ON -DJG_TESTS=ON >/dev/null
cmake --build build -j "$jobs"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DJG_WERROR=ON -DJG_SANITIZE=ON -DJG_TESTS=ON >/dev/null
cmake --build build-asan -j "$jobs"
scripts/web.sh
tools/checksrc.sh
# sm-crypto encrypts login passwords in the API tests as the browser does.
(cd tests/api && npm ci --no-audit --no-fund --loglevel=error)

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

pgdir=$(mktemp -d /tmp/jianguan-pg.XXXXXX)
pgport=${JIANGUAN_TEST_PG_PORT:-55432}
trap 'scripts/pg-cluster.sh stop "$pgdir"' EXIT
scripts/pg-cluster.sh start "$pgdir" "$pgport"
export JIANGUAN_TEST_PG="postgresql://postgres@127.0.0.1:$pgport"

# Every runner's output also goes to a log, summed up in one closing line at the end.
log=$(mktemp /tmp/jianguan-test-log.XXXXXX)
trap 'scripts/pg-cluster.sh stop "$pgdir"; rm -f "$log"' EXIT

unit() {
  echo "== unit tests ($1)"
  ctest --test-dir "$2" --output-on-failure 2>&1 | tee -a "$log"
}
unit release build
unit sanitizers build-asan

# SM2/SM4 interop with sm-crypto (the browser's library), against both builds' sm2tool.
(cd tests/interop && npm ci --no-audit --no-fund --loglevel=error)
interop() {
  echo "== interop tests: $1"
  (cd tests/interop && JIANGUAN_SM2TOOL="$top/$1" node --test) 2>&1 | tee -a "$log"
}
interop build/sm2tool
interop build-asan/sm2tool

api() {
  local bin=$1 db=$2
  echo "== API tests: $bin on $db"
  JIANGUAN_TEST_BIN="$top/$bin" JIANGUAN_TEST_DB=$db node --test --test-concurrency=2 tests/api/*.test.mjs \
    2>&1 | tee -a "$log"
}
api build/jianguan sqlite
api build/jianguan postgresql
api build-asan/jianguan sqlite
api build-asan/jianguan postgresql
# The workbench in Chromium (playwright-core), against the release build on both databases; the
# screenshots go to build/web-screenshots (docs/manual takes them from there).
(cd tests/web && npm ci --no-audit --no-fund --loglevel=error)
browser() {
  echo "== browser tests: $1 on $2"
  JIANGUAN_TEST_BIN="$top/$1" JIANGUAN_TEST_DB=$2 node --test tests/web/ 2>&1 | tee -a "$log"
}
browser build/jianguan sqlite
browser build/jianguan postgresql
# ctest: "100% tests passed, 0 tests failed out of 15"; node: "# pass 66" / "# fail 0".
passed=$(awk '/tests passed, [0-9]+ tests failed out of/ {p += $(NF) - $(NF-4)} /^# pass / {p += $3} END {print p+0}' "$log")
failed=$(awk '/tests passed, [0-9]+ tests failed out of/ {f += $(NF-4)} /^# fail / {f += $3} END {print f+0}' "$log")
echo "$passed passed, $failed failed"
