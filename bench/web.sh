#!/usr/bin/env bash
# bench/web.sh — the web workbench in Chromium (issue 6, "Performance"): a server over SQLite with
# ROWS rows in e_registration (the issue's scale is ROWS=10000000; default 200000 to keep the run
# short), then in Debian's chromium (playwright-core, as tests/web):
#   1. first load of the workbench after login, cold cache: Navigation Timing loadEventEnd (goal < 1.5 s)
#      and the JavaScript it sends, gzip as sent (goal < 1 MB);
#   2. a list page of 20 rows: navigation start to the 20 rows in the table, and the same reached
#      from the side menu of the home page (from the click on the menu item); both timed in the page
#      up to the frame that paints the rows; the GOAL line (< 500 ms) takes the worse of the two.
# Medians of RUNS (5) runs. Ends with one GOAL line per goal.
# Knobs: ROWS, RUNS, BENCH_USER (fuzhou), JIANGUAN_BIN (build/jianguan), JIANGUAN_WEB_DIST (web/dist),
# BENCH_TRACE=1 (log each request of the list page's full load with its timing).
set -euo pipefail
cd "$(dirname "$0")/.."
export JIANGUAN_TEST_BIN=${JIANGUAN_BIN:-${JIANGUAN_TEST_BIN:-build/jianguan}}
case "$JIANGUAN_TEST_BIN" in /*) ;; *) JIANGUAN_TEST_BIN="$PWD/$JIANGUAN_TEST_BIN" ;; esac
export JIANGUAN_TEST_DB=sqlite
for t in node sqlite3; do command -v "$t" >/dev/null || { echo "web.sh: $t not found" >&2; exit 1; }; done
if [ ! -x "$JIANGUAN_TEST_BIN" ]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build build --target jianguan
fi
[ -f web/dist/index.html ] || bash scripts/web.sh
[ -d tests/web/node_modules/playwright-core ] || (cd tests/web && npm ci --no-audit --no-fund --loglevel=error)
[ -d tests/api/node_modules/sm-crypto ] || (cd tests/api && npm ci --no-audit --no-fund --loglevel=error)
exec node bench/web/bench.mjs
