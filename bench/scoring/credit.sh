#!/usr/bin/env bash
# bench/scoring/credit.sh — bench/rules.sh parts (b) and (c) (issue 7, "Tests and benchmark"):
#   (b) full recomputation of scores and credit from the ledger: ROWS score_point rows (default
#       5,000,000) for COMPANIES enterprises (50,000) and PERSONS persons (200,000), bulk-loaded with
#       SQL in the database (bench/scoring/ledger.sh), then POST /api/v1/credit/recompute as the
#       province administrator, timed; goal < 60 s on SQLite and on PostgreSQL. PERIOD (default
#       2026Q3) is the quarter recomputed; PERIOD=all recomputes every quarter and year of the
#       ledger (here 2026Q3 and 2026: twice the work).
#   (c) a ranking page: GET /api/v1/scoring/rankings?role=contractor&period=2026Q3&city=35&page=P
#       (P cycles over the first 50 pages) as the province administrator, wrk -t2 -c8 for DURATION
#       seconds -> p95; goal < 200 ms.
# Knobs: ROWS, COMPANIES, PERSONS (a multiple of COMPANIES), PERIOD, DURATION (10), PG_PORT (55446),
#        J_PORT (18096), BIN (default build/jianguan, built Release when missing), KEEP_TMP=1,
#        DBS ("sqlite postgresql").
set -euo pipefail
cd "$(dirname "$0")/../.."
ROWS=${ROWS:-5000000}
COMPANIES=${COMPANIES:-50000}
PERSONS=${PERSONS:-200000}
PERIOD=${PERIOD:-2026Q3}
DURATION=${DURATION:-10}
DBS=${DBS:-sqlite postgresql}
PG_PORT=${PG_PORT:-55446}
J_PORT=${J_PORT:-18096}
URL="http://127.0.0.1:$J_PORT"
BENCH=scoring
. bench/lib/run.sh
need wrk curl node sqlite3 psql
BIN=${BIN:-build/jianguan}
[ "$BIN" = build/jianguan ] && build_release jianguan
npm_ready tests/api sm-crypto
. bench/scoring/ledger.sh
[ $((PERSONS % COMPANIES)) = 0 ] || die "PERSONS must be a multiple of COMPANIES"

declare -A LOAD_S RECOMPUTE_S RECOMPUTE_OUT RANK_P95 RANK_BAD
run_case() { # db
  local db=$1 dburl t
  if [ "$db" = sqlite ]; then
    dburl="sqlite:$tmp/j.db"
  else
    pg_start
    dburl="postgresql://postgres@127.0.0.1:$PG_PORT/postgres"
  fi
  export JIANGUAN_DATABASE="$dburl" JIANGUAN_DATA_DIR="$tmp/data-$db" JIANGUAN_ACCESS_LOG=off \
    JIANGUAN_CAPTCHA=off JIANGUAN_LISTEN="127.0.0.1:$J_PORT" JIANGUAN_REQUEST_TIMEOUT_S=900
  mkdir -p "$JIANGUAN_DATA_DIR"
  "$BIN" migrate >"$tmp/migrate-$db.log" 2>&1 || die "migrate failed: $(tail -n 5 "$tmp/migrate-$db.log")"
  "$BIN" seed-demo --projects 10 >"$tmp/seed-$db.log" 2>&1 || die "seed-demo failed: $(tail -n 5 "$tmp/seed-$db.log")"

  log "$db: inserting $ROWS ledger rows ($COMPANIES companies, $PERSONS persons)"
  t=$(date +%s.%N)
  if [ "$db" = sqlite ]; then
    { echo "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF; PRAGMA cache_size=-400000; BEGIN;"
      ledger_sql "WITH RECURSIVE gen(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM gen WHERE n < $ROWS - 1)" \
        "printf('%%02d', %s)"
      echo "COMMIT; ANALYZE;"; } | sqlite3 "$tmp/j.db" >/dev/null
    n=$(sqlite3 "$tmp/j.db" "SELECT count(*) FROM score_point")
  else
    { echo "BEGIN;"
      ledger_sql "WITH gen(n) AS (SELECT generate_series(0, $ROWS - 1)::bigint)" "lpad(CAST(%s AS TEXT), 2, '0')"
      echo "COMMIT; VACUUM ANALYZE score_point;"; } | psql "$dburl" -X -q -v ON_ERROR_STOP=1 >/dev/null
    n=$(psql "$dburl" -XAtc "SELECT count(*) FROM score_point")
  fi
  LOAD_S[$db]=$(awk -v a="$t" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  [ "$n" = "$ROWS" ] || die "$db: $n ledger rows, not $ROWS"
  log "$db: $n rows in ${LOAD_S[$db]} s"

  # serve_start of bench/lib/run.sh, with $BIN.
  "$BIN" serve >"$tmp/serve.log" 2>&1 &
  server=$!
  for _ in $(seq 100); do curl -fsS -o /dev/null "$URL/healthz" 2>/dev/null && break; sleep 0.1; done
  kill -0 "$server" 2>/dev/null || die "$db: the server exited"
  # (b) the full recomputation.
  local out
  out=$(node bench/scoring/recompute.mjs "$URL" province 'Jg@demo2026' "$([ "$PERIOD" = all ] || echo "$PERIOD")") ||
    die "$db: recompute failed"
  RECOMPUTE_OUT[$db]=$out
  RECOMPUTE_S[$db]=$(node -e 'console.log(JSON.parse(process.argv[1]).wall_s)' "$out")
  log "$db: recompute $out"
  # (c) the ranking page.
  local cookie url
  cookie=$(node bench/records/session.mjs "$URL" province 'Jg@demo2026') || die "$db: login failed"
  url="$URL/api/v1/scoring/rankings?role=contractor&period=2026Q3&city=35&size=20"
  local first
  first=$(curl -fsS -H "Cookie: $cookie" "$url&page=1") || die "$db: ranking failed: $(curl -sS -H "Cookie: $cookie" "$url&page=1" | head -c 300)"
  node -e 'const o = JSON.parse(process.argv[1]); if (o.items.length !== 20) process.exit(1)' "$first" ||
    die "$db: the first ranking page does not hold 20 rows: $(echo "$first" | head -c 300)"
  cat >"$tmp/pages.lua" <<LUA
local page = 0
request = function()
  page = page % 50 + 1
  return wrk.format("GET", "/api/v1/scoring/rankings?role=contractor&period=2026Q3&city=35&size=20&page=" .. page)
end
LUA
  cat "$tmp/pages.lua" bench/records/p95.lua >"$tmp/rank.lua"
  wrk -t2 -c8 -d2s -H "Cookie: $cookie" -s "$tmp/rank.lua" "$URL" >/dev/null 2>&1 || true # warm-up
  wrk -t2 -c8 -d"${DURATION}s" --latency -H "Cookie: $cookie" -s "$tmp/rank.lua" "$URL" >"$tmp/wrk-$db.txt" 2>&1 ||
    die "wrk failed: $(tail -n 3 "$tmp/wrk-$db.txt")"
  RANK_P95[$db]=$(awk '$1 == "P95_MS" { print $2 }' "$tmp/wrk-$db.txt")
  RANK_BAD[$db]=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$tmp/wrk-$db.txt")
  local timeouts
  timeouts=$(awk '$1 == "TIMEOUTS" { print $2 }' "$tmp/wrk-$db.txt")
  [ "${timeouts:-0}" -gt 0 ] && RANK_P95[$db]=2000
  log "$db: ranking p95 ${RANK_P95[$db]} ms (non-2xx: ${RANK_BAD[$db]:-0}, timeouts: ${timeouts:-0})"
  serve_stop
  [ "$db" = postgresql ] && pg_stop
  return 0
}

for db in $DBS; do run_case "$db"; done

echo "== bench/scoring/credit.sh: ROWS=$ROWS ledger rows, $COMPANIES companies, $PERSONS persons, period $PERIOD"
for db in $DBS; do
  echo "$db: load ${LOAD_S[$db]} s; recompute ${RECOMPUTE_OUT[$db]}; ranking p95 ${RANK_P95[$db]} ms"
done
for db in $DBS; do
  s=${RECOMPUTE_S[$db]}
  echo "GOAL credit_recompute_${db}_rows${ROWS} measured=${s}s target=60s $(awk -v s="$s" 'BEGIN { print (s < 60 ? "PASS" : "MISS") }')"
  p=${RANK_P95[$db]}
  ok=$(awk -v p="$p" -v b="${RANK_BAD[$db]:-0}" 'BEGIN { print (p < 200 && b == 0 ? "PASS" : "MISS") }')
  echo "GOAL ranking_p95_${db}_rows${ROWS} measured=${p}ms target=200ms $ok"
done
