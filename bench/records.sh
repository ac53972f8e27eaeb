#!/usr/bin/env bash
# bench/records.sh — the entity engine's business records at scale (issue 4, "Tests and benchmark"):
#   ROWS rows bulk-inserted with SQL into e_registration, on SQLite and on PostgreSQL; then
#   1. the scoped list with two filters and a sort, as the 福州 inspector (scope 3501):
#      GET /api/v1/records/registration?filter={cost>=100000.00 and project_kind=building}
#          &sort=-planned_start_on&size=20, wrk -t2 -c8 -> p95 (goal < 100 ms);
#   2. an XLSX export of min(ROWS,100000) rows (an id-range filter inside the same scope):
#      wall time with curl (goal < 10 s) and the server's peak RSS during it (VmHWM, reset
#      through /proc/PID/clear_refs just before; goal < 100 MB).
# Rows: org_code cycles over 12 福州 counties and 6 厦门 districts (2/3 inside the scope),
# project_kind over the 10 kinds, cost 0..199,999 yuan (about half >= 100,000), planned_start_on
# over ~7 years, applicant/owner/contractor over the seeded enterprises.
# Knobs: ROWS (default 1000000; the issue's scale is ROWS=10000000), DURATION (wrk seconds, 10),
#        EXPORT_ROWS (default min(rows in scope = ROWS*2/3, 100000)), PG_PORT (55436), J_PORT (18086), KEEP_TMP=1.
#   3. global search p95 for 3- and 2-character words (the search section; goal < 200 ms).
#   4. import of IMPORT_ROWS (100,000) rows from an XLSX as the demo enterprise (the import section; goal < 30 s).
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-1000000}
DURATION=${DURATION:-10}
IN_SCOPE=$(( ROWS * 12 / 18 )) # rows the 福州 scope sees
EXPORT_ROWS=${EXPORT_ROWS:-$(( IN_SCOPE < 100000 ? IN_SCOPE : 100000 ))}
PG_PORT=${PG_PORT:-55436}
J_PORT=${J_PORT:-18086}
URL="http://127.0.0.1:$J_PORT"
BENCH=records
. bench/lib/run.sh
need wrk curl node sqlite3 psql
build_release jianguan
npm_ready tests/api sm-crypto

# insert_sql: one INSERT ... SELECT of ROWS rows into e_registration (bench/records/rows.sh).
. bench/records/rows.sh

# ---- 3. global search (GET /api/v1/search) ------------------------------------------------------
# As the 福州 inspector (scope 3501), wrk -t2 -c8 for SEARCH_DURATION seconds (default DURATION) on
# each query of SEARCH_QUERIES: a 3-character word in every row (测试路, addresses), a 3-character
# word in none (鼓楼区: the index answers), a 2-character word in every row (工程, names) and a
# 2-character word in none (鼓楼: on SQLite through the trigrams it begins, of which there are none). The goal
# (p95 < 200 ms) is met when the slowest of them meets it.
SEARCH_QUERIES=${SEARCH_QUERIES:-测试路 鼓楼区 工程 鼓楼}
declare -A SEARCH_P95 SEARCH_DETAIL SEARCH_BAD
search_step() { # db cookie
  local db=$1 cookie=$2 q enc url worst=0 detail="" bad=0 p95 nbad n
  for q in $SEARCH_QUERIES; do
    enc=$(node -e 'process.stdout.write(encodeURIComponent(process.argv[1]))' "$q")
    url="$URL/api/v1/search?q=$enc&size=20"
    n=$(curl -fsS -H "Cookie: $cookie" "$url" | node -e 'let s = ""; process.stdin.on("data", (d) => s += d).on("end", () => console.log(JSON.parse(s).data.length))') ||
      die "$db: search $q failed: $(curl -sS -H "Cookie: $cookie" "$url" | head -c 300)"
    wrk -t2 -c8 -d1s -H "Cookie: $cookie" -s bench/records/p95.lua "$url" >/dev/null 2>&1 || true # warm-up
    wrk -t2 -c8 -d"${SEARCH_DURATION:-$DURATION}s" --latency -H "Cookie: $cookie" -s bench/records/p95.lua "$url" \
      >"$tmp/wrk-search-$db.txt" 2>&1 || die "wrk failed: $(tail -n 3 "$tmp/wrk-search-$db.txt")"
    p95=$(awk '$1 == "P95_MS" { print $2 }' "$tmp/wrk-search-$db.txt")
    nbad=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$tmp/wrk-search-$db.txt")
    # Requests that took longer than wrk's 2 s timeout are not in the percentiles: then the p95 is
    # at least 2,000 ms, and that is what the goal line shows.
    local timeouts answered
    timeouts=$(awk '$1 == "TIMEOUTS" { print $2 }' "$tmp/wrk-search-$db.txt")
    answered=$(awk '$1 == "ANSWERED" { print $2 }' "$tmp/wrk-search-$db.txt")
    if [ "${timeouts:-0}" -gt 0 ] || [ "${answered:-0}" -eq 0 ]; then
      p95=$(awk -v p="$p95" 'BEGIN { print (p > 2000) ? p : 2000 }')
      log "$db: search '$q': ${timeouts:-0} requests timed out after 2 s, ${answered:-0} answered"
    fi
    bad=$(( bad + ${nbad:-0} ))
    worst=$(awk -v a="$worst" -v b="$p95" 'BEGIN { print (b > a) ? b : a }')
    detail="$detail $q ($n hits): p95 ${p95} ms;"
    log "$db: search '$q' ($n hits on page 1): p95 $p95 ms, non-2xx ${nbad:-0}"
  done
  SEARCH_P95[$db]=$worst
  SEARCH_DETAIL[$db]=$detail
  SEARCH_BAD[$db]=$bad
}
# ---- end of the search section -------------------------------------------------------------------

# ---- 4. import (POST /api/v1/records/registration/import) ----------------------------------------
# As the demo enterprise (contractor: it may create 项目报监 for itself), an XLSX of IMPORT_ROWS rows
# (default 100000) in the import template's layout, written by bench/records/import.mjs (13 columns:
# shared strings, numbers, serial dates, a sensitive phone sealed on import), is imported in mode
# all — one transaction — into e_registration, which already holds the ROWS rows; the wall time of
# the request (goal < 30 s). Such a file is about 6 MB: the server's max_body_bytes and
# max_import_bytes are raised to 64 MiB and max_import_rows to IMPORT_ROWS (environment below).
IMPORT_ROWS=${IMPORT_ROWS:-100000}
export JIANGUAN_MAX_BODY_BYTES=${JIANGUAN_MAX_BODY_BYTES:-67108864}
export JIANGUAN_MAX_IMPORT_BYTES=${JIANGUAN_MAX_IMPORT_BYTES:-67108864}
export JIANGUAN_MAX_IMPORT_ROWS=${JIANGUAN_MAX_IMPORT_ROWS:-$IMPORT_ROWS}
declare -A IMPORT_S IMPORT_N IMPORT_CODE IMPORT_SIZE
import_step() { # db
  local db=$1 line
  log "$db: import of $IMPORT_ROWS rows from an XLSX as contractor"
  line=$(node bench/records/import.mjs "$URL" "$IMPORT_ROWS" "$tmp/import.xlsx") || die "$db: the import step failed"
  IMPORT_CODE[$db]=$(awk '{ print $2 }' <<<"$line")
  IMPORT_S[$db]=$(awk '{ print $4 }' <<<"$line")
  IMPORT_N[$db]=$(awk '{ print $6 }' <<<"$line")
  IMPORT_SIZE[$db]=$(awk '{ print $8 }' <<<"$line")
  log "$db: import HTTP ${IMPORT_CODE[$db]}, ${IMPORT_N[$db]} rows imported from ${IMPORT_SIZE[$db]} bytes in ${IMPORT_S[$db]} s"
}
# ---- end of the import section -------------------------------------------------------------------

run_case() { # db
  local db=$1 key dburl
  if [ "$db" = sqlite ]; then
    dburl="sqlite:$tmp/j.db"
  else
    pg_start
    dburl="postgresql://postgres@127.0.0.1:$PG_PORT/postgres"
  fi
  export JIANGUAN_DATABASE="$dburl" JIANGUAN_DATA_DIR="$tmp/data-$db" JIANGUAN_ACCESS_LOG=off \
    JIANGUAN_CAPTCHA=off JIANGUAN_LISTEN="127.0.0.1:$J_PORT"
  mkdir -p "$JIANGUAN_DATA_DIR"
  build/jianguan migrate >"$tmp/migrate-$db.log" 2>&1 || die "migrate failed: $(tail -n 5 "$tmp/migrate-$db.log")"
  build/jianguan seed-demo --projects 10 >"$tmp/seed-$db.log" 2>&1 || die "seed-demo failed: $(tail -n 5 "$tmp/seed-$db.log")"

  log "$db: inserting $ROWS rows into e_registration"
  local t=$(date +%s.%N) n
  if [ "$db" = sqlite ]; then
    NENT=$(sqlite3 "$tmp/j.db" "SELECT count(*) FROM enterprise")
    { echo "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF; PRAGMA cache_size=-200000; BEGIN;"
      insert_sql "WITH RECURSIVE gen(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM gen WHERE n < $ROWS)" \
        "date('2020-01-01', '+' || (n % 2500) || ' days')"
      echo "COMMIT; ANALYZE;"; } | sqlite3 "$tmp/j.db" >/dev/null
    n=$(sqlite3 "$tmp/j.db" "SELECT count(*) FROM e_registration")
  else
    NENT=$(psql "$dburl" -XAtc "SELECT count(*) FROM enterprise")
    { echo "BEGIN;"
      insert_sql "WITH gen(n) AS (SELECT generate_series(1, $ROWS)::bigint)" \
        "to_char(date '2020-01-01' + (n % 2500)::int, 'YYYY-MM-DD')"
      echo "COMMIT; VACUUM ANALYZE e_registration;"; } | psql "$dburl" -X -q -v ON_ERROR_STOP=1 >/dev/null
    n=$(psql "$dburl" -XAtc "SELECT count(*) FROM e_registration")
  fi
  LOAD_S[$db]=$(awk -v a="$t" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  [ "$n" = "$ROWS" ] || die "$db: e_registration has $n rows, expected $ROWS"
  log "$db: $n rows in ${LOAD_S[$db]} s"

  serve_start "$db"
  local cookie
  cookie=$(node bench/records/session.mjs "$URL" fuzhou 'Jg@demo2026') || die "$db: login failed"

  # 1. the scoped list
  local filter list_url total
  filter=$(node -e 'process.stdout.write(encodeURIComponent(JSON.stringify({and: [
    {field: "cost", op: "ge", value: "100000.00"}, {field: "project_kind", op: "eq", value: "building"}]})))')
  list_url="$URL/api/v1/records/registration?filter=$filter&sort=-planned_start_on&size=20"
  curl -fsS -H "Cookie: $cookie" "$list_url" >"$tmp/list.json" || die "$db: the list request failed: $(curl -sS -H "Cookie: $cookie" "$list_url")"
  total=$(node -e 'const j = JSON.parse(require("fs").readFileSync(process.argv[1])); if (j.items.length !== 20) process.exit(1); console.log(j.total)' "$tmp/list.json") ||
    die "$db: the list answer has not 20 items: $(head -c 300 "$tmp/list.json")"
  LIST_TOTAL[$db]=$total
  log "$db: list matches $total rows; wrk -t2 -c8 -d${DURATION}s"
  wrk -t2 -c8 -d2s -H "Cookie: $cookie" -s bench/records/p95.lua "$list_url" >/dev/null 2>&1 || true # warm-up
  wrk -t2 -c8 -d"${DURATION}s" --latency -H "Cookie: $cookie" -s bench/records/p95.lua "$list_url" >"$tmp/wrk-$db.txt" 2>&1 ||
    die "wrk failed: $(tail -n 3 "$tmp/wrk-$db.txt")"
  P95[$db]=$(awk '$1 == "P95_MS" { print $2 }' "$tmp/wrk-$db.txt")
  P50[$db]=$(awk '$1 == "P50_MS" { print $2 }' "$tmp/wrk-$db.txt")
  RPS[$db]=$(awk '/^Requests\/sec:/ { print $2 }' "$tmp/wrk-$db.txt")
  BAD[$db]=$(awk '/Non-2xx or 3xx responses:/ { print $NF } END { }' "$tmp/wrk-$db.txt")
  BAD[$db]=$(( ${BAD[$db]:-0} + $(awk '$1 == "TIMEOUTS" { print $2 }' "$tmp/wrk-$db.txt") )) # timed out: not answered
  log "$db: list p50 ${P50[$db]} ms, p95 ${P95[$db]} ms, ${RPS[$db]} req/s, non-2xx ${BAD[$db]}"

  # 2. the export: ids 1..K with K such that the scope keeps EXPORT_ROWS of them (2/3 of rows are 福州)
  local k efilter eurl ecount rss0 t1 code
  k=$(( (EXPORT_ROWS * 18 + 11) / 12 ))
  efilter=$(node -e 'process.stdout.write(encodeURIComponent(JSON.stringify({field: "id", op: "le", value: Number(process.argv[1])})))' "$k")
  # Counted in the database: the list's total stops at 10,000 (records.c).
  local ecount_sql="SELECT count(*) FROM e_registration WHERE id <= $k AND org_code >= '3501' AND org_code < '3502' AND org_code <> '350128'"
  if [ "$db" = sqlite ]; then ecount=$(sqlite3 "$tmp/j.db" "$ecount_sql"); else ecount=$(psql "$dburl" -XAtc "$ecount_sql"); fi
  EXPORT_N[$db]=$ecount
  rss0=$(awk '/^VmRSS/ { print $2 }' "/proc/$server/status")
  if ! echo 5 >"/proc/$server/clear_refs" 2>/dev/null; then log "WARNING: cannot reset VmHWM: the peak includes the list run"; fi
  log "$db: export of $ecount rows (id <= $k), server RSS before ${rss0} kB"
  t1=$(date +%s.%N)
  code=$(curl -sS -o "$tmp/export.xlsx" -w '%{http_code}' -H "Cookie: $cookie" "$URL/api/v1/records/registration/export.xlsx?filter=$efilter")
  EXPORT_S[$db]=$(awk -v a="$t1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
  EXPORT_MB[$db]=$(awk '/^VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$server/status")
  EXPORT_SIZE[$db]=$(stat -c %s "$tmp/export.xlsx")
  EXPORT_CODE[$db]=$code
  log "$db: export HTTP $code, ${EXPORT_SIZE[$db]} bytes in ${EXPORT_S[$db]} s, server peak RSS ${EXPORT_MB[$db]} MB"

  search_step "$db" "$cookie" # 3. global search (the section above run_case)
  import_step "$db" # 4. import (the section above run_case; last: it adds IMPORT_ROWS rows)

  serve_stop
  if [ "$db" = pg ]; then pg_stop; fi
}

declare -A LOAD_S LIST_TOTAL P95 P50 RPS BAD EXPORT_N EXPORT_S EXPORT_MB EXPORT_SIZE EXPORT_CODE
for db in sqlite pg; do run_case "$db"; done

verdict() { awk -v m="$1" -v t="$2" -v ok="$3" 'BEGIN { print (ok == 1 && m < t) ? "PASS" : "MISS" }'; }
echo
echo "== bench/records.sh: ROWS=$ROWS rows in e_registration; list as fuzhou (scope 3501), wrk -t2 -c8 -d${DURATION}s; export $EXPORT_ROWS rows asked"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) RAM; load average now $(cut -d' ' -f1-3 /proc/loadavg)"
for db in sqlite pg; do
  echo "$db: load ${LOAD_S[$db]} s; list matches ${LIST_TOTAL[$db]} rows: p50 ${P50[$db]} ms, p95 ${P95[$db]} ms, ${RPS[$db]} req/s, non-2xx ${BAD[$db]};" \
    "export ${EXPORT_N[$db]} rows: HTTP ${EXPORT_CODE[$db]}, ${EXPORT_SIZE[$db]} bytes, ${EXPORT_S[$db]} s, server peak RSS ${EXPORT_MB[$db]} MB"
done
echo "ROWS=$ROWS"
for db in sqlite pg; do
  ok=$([ "${BAD[$db]}" = 0 ] && echo 1 || echo 0)
  echo "GOAL records_list_p95_${db}_rows${ROWS} measured=${P95[$db]}ms target=100ms $(verdict "${P95[$db]}" 100 "$ok")"
done
for db in sqlite pg; do
  ok=$([ "${EXPORT_CODE[$db]}" = 200 ] && [ "${EXPORT_N[$db]}" -ge "$EXPORT_ROWS" ] && echo 1 || echo 0)
  echo "GOAL export_100k_s_${db}_rows${ROWS} measured=${EXPORT_S[$db]}s target=10s $(verdict "${EXPORT_S[$db]}" 10 "$ok")"
  echo "GOAL export_100k_peak_mb_${db}_rows${ROWS} measured=${EXPORT_MB[$db]}MB target=100MB $(verdict "${EXPORT_MB[$db]}" 100 "$ok")"
done
# search (section 3)
for db in sqlite pg; do
  echo "$db: search as fuzhou:${SEARCH_DETAIL[$db]} non-2xx ${SEARCH_BAD[$db]}"
  ok=$([ "${SEARCH_BAD[$db]}" = 0 ] && echo 1 || echo 0)
  echo "GOAL search_p95_$([ "$db" = pg ] && echo pgsql || echo sqlite) measured=${SEARCH_P95[$db]}ms target=200ms $(verdict "${SEARCH_P95[$db]}" 200 "$ok")"
done
# import (section 4)
for db in sqlite pg; do
  echo "$db: import ${IMPORT_N[$db]} of $IMPORT_ROWS rows: HTTP ${IMPORT_CODE[$db]}, ${IMPORT_SIZE[$db]} bytes, ${IMPORT_S[$db]} s"
  ok=$([ "${IMPORT_CODE[$db]}" = 200 ] && [ "${IMPORT_N[$db]}" = "$IMPORT_ROWS" ] && echo 1 || echo 0)
  echo "GOAL import_100k_$([ "$db" = pg ] && echo pgsql || echo sqlite) measured=${IMPORT_S[$db]}s target=30s $(verdict "${IMPORT_S[$db]}" 30 "$ok")"
done
