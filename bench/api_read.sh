#!/usr/bin/env bash
# bench/api_read.sh — read-path benchmark of the public project API.
#
# 1,000,000 rows in `project` in a private PostgreSQL 15 cluster; wrk at 64
# connections for GET-by-id and for a paged list (20 rows, status filter +
# registered_on sort, both on the index project_status_reg), against
#   (a) jianguan (build/jianguan serve),
#   (b) a peer written the way a Node.js team would (bench/peer: fastify + pg),
#       deployed as node cluster x <cores> and, for reference, as 1 process,
#   (c) the limit: the same SQL through pgbench -M prepared, same concurrency.
# Prints req/s and p99 for each, the ratios, and one GOAL line per goal:
#   jianguan >= 3x the peer, >= 60 % of pgbench, p99 < 20 ms.
#
# Run from the repo root: bash bench/api_read.sh   (or: make bench)
# Knobs (environment):
#   DURATION=15        seconds per timed run (wrk -d, pgbench -T)
#   WARMUP=3           seconds of warm-up before each timed run
#   ROWS=1000000       rows seeded by `jianguan seed-demo --projects ROWS`
#   CONNS=64           wrk connections / pgbench clients
#   J_THREADS=4        JIANGUAN_THREADS (each worker thread blocks on its query, so a
#                      few more than the cores; 4 measured best on 2 cores)
#   J_POOL=J_THREADS   JIANGUAN_DB_POOL_SIZE (more than the threads is never used)
#   PEER_MODES="cluster single"   peer deployments to measure
#   PGBENCH_POOL_ROW=1 also run pgbench with J_POOL clients (information only:
#                      what the database does at the concurrency jianguan gives it)
#   PG_PORT=55433 J_PORT=18080 PEER_PORT=18081 (PEER_PORT+1 for the 1-process peer)
#   JIANGUAN_BIN=build/jianguan   PGBIN=/usr/lib/postgresql/15/bin   KEEP_TMP=1
# Quick smoke run: ROWS=20000 DURATION=3 bash bench/api_read.sh
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)

DURATION=${DURATION:-15}
WARMUP=${WARMUP:-3}
ROWS=${ROWS:-1000000}
CONNS=${CONNS:-64}
WRK_THREADS=${WRK_THREADS:-2}
NCPU=$(nproc)
J_THREADS=${J_THREADS:-4}
J_POOL=${J_POOL:-$J_THREADS}
PEER_MODES=${PEER_MODES:-cluster single}
PEER_POOL_MAX=${PEER_POOL_MAX:-10}
PGBENCH_POOL_ROW=${PGBENCH_POOL_ROW:-1}
PG_PORT=${PG_PORT:-55433}
J_PORT=${J_PORT:-18080}
PEER_PORT=${PEER_PORT:-18081}
PG_SHARED_BUFFERS=${PG_SHARED_BUFFERS:-1GB}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
JIANGUAN_BIN=${JIANGUAN_BIN:-$ROOT/build/jianguan}
DB_URL="postgresql://postgres@127.0.0.1:${PG_PORT}/bench"

T0=$(date +%s)
log() { printf '[api_read %4ss] %s\n' "$(( $(date +%s) - T0 ))" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------- preflight
for tool in wrk curl node npm; do
  command -v "$tool" >/dev/null || die "$tool not found (apt-get install -y wrk curl; Node >= 20)"
done
for tool in initdb pg_ctl psql pgbench; do
  [ -x "$PGBIN/$tool" ] || die "$PGBIN/$tool not found (apt-get install -y postgresql-15)"
done
if [ ! -x "$JIANGUAN_BIN" ] && [ -f "$ROOT/Makefile" ] && [ "$JIANGUAN_BIN" = "$ROOT/build/jianguan" ]; then
  log "build/jianguan missing: running make"
  make -C "$ROOT" >&2
fi
[ -x "$JIANGUAN_BIN" ] || die "$JIANGUAN_BIN not found (build it with make)"

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in "$PG_PORT" "$J_PORT" "$PEER_PORT" "$((PEER_PORT + 1))"; do
  if port_busy "$p"; then die "port $p on 127.0.0.1 is already in use (set PG_PORT/J_PORT/PEER_PORT)"; fi
done

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
if awk -v l="${LOAD_START%% *}" -v n="$NCPU" 'BEGIN { exit !(l > n / 4) }'; then
  log "WARNING: load average is $LOAD_START before the benchmark starts: other work on this machine will skew the numbers"
fi

# ---------------------------------------------------------------- cleanup
WORK=$(mktemp -d "${TMPDIR:-/tmp}/jianguan-bench.XXXXXX")
chmod 755 "$WORK"
PGDIR="$WORK/pg"
PGDATA="$PGDIR/data"
CHILD_PIDS=()
PG_STARTED=0
CHECK_FAILED=0

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

stop_pid() {
  local pid=$1 kids
  kill -0 "$pid" 2>/dev/null || return 0
  kids=$(pgrep -P "$pid" || true)
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  # shellcheck disable=SC2086
  kill -KILL "$pid" $kids 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  for pid in "${CHILD_PIDS[@]}"; do stop_pid "$pid"; done
  if [ "$PG_STARTED" = 1 ]; then
    as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w -t 30 stop >/dev/null 2>&1 ||
      as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -m immediate -w -t 30 stop >/dev/null 2>&1
  fi
  if [ "$rc" != 0 ] && [ "$rc" != 130 ] && [ "$rc" != 143 ]; then
    for f in "$WORK"/migrate.log "$WORK"/seed.log "$WORK"/npm.log "$WORK"/jianguan.log "$WORK"/peer-*.log "$PGDIR"/postgres.log; do
      [ -s "$f" ] || continue
      echo "---- last lines of $f" >&2
      tail -n 20 "$f" >&2
    done
  fi
  if [ "${KEEP_TMP:-0}" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

wait_http() { # url pid name timeout_s
  local url=$1 pid=$2 name=$3 deadline=$(( $(date +%s) + $4 ))
  until curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || die "$name exited before answering $url"
    [ "$(date +%s)" -lt "$deadline" ] || die "$name did not answer $url within $4 s"
    sleep 0.2
  done
}

psql_q() { "$PGBIN/psql" "$DB_URL" -X -q -v ON_ERROR_STOP=1 -At "$@"; }

# ---------------------------------------------------------------- PostgreSQL
log "starting PostgreSQL 15 in $PGDIR (port $PG_PORT)"
mkdir -p "$PGDIR"
[ "$(id -u)" = 0 ] && chown postgres: "$PGDIR"
as_pg "$PGBIN/initdb" -D "$PGDATA" -U postgres -A trust -E UTF8 --no-locale >"$WORK/initdb.log" 2>&1 ||
  die "initdb failed: $(tail -n 5 "$WORK/initdb.log")"
# A throwaway cluster: durability off only makes the load faster; the timed
# part is read-only. shared_buffers holds the whole table, so no run pays for
# a colder cache than another.
as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGDIR/postgres.log" -w -t 60 -o "\
 -p $PG_PORT -k $PGDIR -c listen_addresses=127.0.0.1 \
 -c max_connections=200 -c shared_buffers=$PG_SHARED_BUFFERS -c effective_cache_size=4GB \
 -c work_mem=16MB -c maintenance_work_mem=512MB -c max_wal_size=8GB -c checkpoint_timeout=30min \
 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null ||
  die "PostgreSQL did not start: $(tail -n 5 "$PGDIR/postgres.log")"
PG_STARTED=1
PG_PID=$(head -n 1 "$PGDATA/postmaster.pid")
"$PGBIN/psql" "postgresql://postgres@127.0.0.1:${PG_PORT}/postgres" -X -q -c "CREATE DATABASE bench" >/dev/null

# ---------------------------------------------------------------- schema + data
export JIANGUAN_DATABASE="$DB_URL" JIANGUAN_DATA_DIR="$WORK/data"
mkdir -p "$WORK/data"
log "jianguan migrate"
"$JIANGUAN_BIN" migrate >"$WORK/migrate.log" 2>&1 || die "jianguan migrate failed: $(tail -n 5 "$WORK/migrate.log")"
log "jianguan seed-demo --projects $ROWS"
t=$(date +%s)
"$JIANGUAN_BIN" seed-demo --projects "$ROWS" >"$WORK/seed.log" 2>&1 || die "jianguan seed-demo failed: $(tail -n 5 "$WORK/seed.log")"
SEED_S=$(( $(date +%s) - t ))
log "seeded in ${SEED_S}s; VACUUM ANALYZE"
psql_q -c "VACUUM ANALYZE project" >/dev/null
IFS='|' read -r NROWS MAX_ID N_UC < <(psql_q -c \
  "SELECT count(*), coalesce(max(id), 0), count(*) FILTER (WHERE status = 'under_construction') FROM project")
[ "$NROWS" -ge 1 ] || die "seed-demo left the project table empty"
[ "$NROWS" = "$ROWS" ] || log "WARNING: project has $NROWS rows, ROWS=$ROWS"
[ "$MAX_ID" = "$NROWS" ] || log "WARNING: ids are not 1..$NROWS (max id $MAX_ID): some by-id requests will be 404"
MAX_PAGE=$(( N_UC / 20 ))
[ "$MAX_PAGE" -gt 50 ] && MAX_PAGE=50
[ "$MAX_PAGE" -ge 1 ] || die "fewer than 20 rows with status under_construction ($N_UC)"
TABLE_SIZE=$(psql_q -c "SELECT pg_size_pretty(pg_total_relation_size('project'))")
if psql_q -c "CREATE EXTENSION IF NOT EXISTS pg_prewarm" >/dev/null 2>&1; then
  psql_q -c "SELECT pg_prewarm(c.oid::regclass) FROM pg_class c
             WHERE c.oid = 'project'::regclass
                OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid = 'project'::regclass)" >/dev/null
fi
log "project: $NROWS rows ($TABLE_SIZE with indexes), ids 1..$MAX_ID, $N_UC under_construction -> pages 1..$MAX_PAGE"

# ---------------------------------------------------------------- peer
if [ ! -d "$ROOT/bench/peer/node_modules" ]; then
  log "installing the peer (npm) in bench/peer"
  if [ -f "$ROOT/bench/peer/package-lock.json" ]; then
    (cd "$ROOT/bench/peer" && npm ci --no-audit --no-fund) >"$WORK/npm.log" 2>&1 || die "npm ci failed: $(tail -n 5 "$WORK/npm.log")"
  else
    (cd "$ROOT/bench/peer" && npm install --no-audit --no-fund) >"$WORK/npm.log" 2>&1 || die "npm install failed: $(tail -n 5 "$WORK/npm.log")"
  fi
fi

# ---------------------------------------------------------------- servers
mkdir -p "$WORK/web"
log "starting jianguan serve on 127.0.0.1:$J_PORT (threads $J_THREADS, db pool $J_POOL)"
JIANGUAN_LISTEN="127.0.0.1:$J_PORT" JIANGUAN_THREADS="$J_THREADS" JIANGUAN_DB_POOL_SIZE="$J_POOL" \
  JIANGUAN_ACCESS_LOG=off JIANGUAN_WEB_DIR="$WORK/web" \
  "$JIANGUAN_BIN" serve >"$WORK/jianguan.log" 2>&1 &
J_PID=$!
CHILD_PIDS+=("$J_PID")
wait_http "http://127.0.0.1:$J_PORT/healthz" "$J_PID" "jianguan" 30

declare -A PEER_URL PEER_LABEL
for mode in $PEER_MODES; do
  case $mode in
    cluster) port=$PEER_PORT; workers=$NCPU; PEER_LABEL[$mode]="peer fastify+pg, cluster x$NCPU" ;;
    single) port=$((PEER_PORT + 1)); workers=1; PEER_LABEL[$mode]="peer fastify+pg, 1 process" ;;
    *) die "unknown PEER_MODES entry: $mode (cluster|single)" ;;
  esac
  log "starting ${PEER_LABEL[$mode]} on 127.0.0.1:$port (pg.Pool max $PEER_POOL_MAX per process)"
  DATABASE_URL="$DB_URL" PEER_LISTEN="127.0.0.1:$port" PEER_WORKERS=$workers PEER_POOL_MAX=$PEER_POOL_MAX \
    NODE_ENV=production node "$ROOT/bench/peer/server.js" >"$WORK/peer-$mode.log" 2>&1 &
  pid=$!
  CHILD_PIDS+=("$pid")
  wait_http "http://127.0.0.1:$port/healthz" "$pid" "peer ($mode)" 30
  PEER_URL[$mode]="http://127.0.0.1:$port"
done

# ---------------------------------------------------------------- correctness
log "correctness check (same answers from every server)"
check_args=("jianguan=http://127.0.0.1:$J_PORT")
for mode in $PEER_MODES; do check_args+=("peer-$mode=${PEER_URL[$mode]}"); done
if ! node "$ROOT/bench/check_api.js" "$MAX_PAGE" "${check_args[@]}" >"$WORK/check.txt" 2>&1; then
  CHECK_FAILED=1
fi
cat "$WORK/check.txt" >&2

# ---------------------------------------------------------------- measuring
declare -A RPS P99 AVG ERR OTHER

# CPU used by anything that is not this benchmark, to tell a clean run from one
# that shared the cores with a build or a test. Ours = this shell with every
# child it reaped (wrk, pgbench, psql), the servers and the postmaster with
# their children (workers, backends). Kernel time spent in interrupts is not
# counted on either side.
proc_ticks() { # pid... -> utime+stime+cutime+cstime of the pids and their live children
  local total=0 p t
  for p in "$@" $(for q in "$@"; do pgrep -P "$q" || true; done); do
    t=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | awk '{ print $12 + $13 + $14 + $15 }') || true
    total=$(( total + ${t:-0} ))
  done
  echo "$total"
}
cpu_snap() { # -> "busy_ticks total_ticks our_ticks"
  local ours
  ours=$(proc_ticks $$ "${CHILD_PIDS[@]}" "$PG_PID")
  awk -v ours="$ours" '$1 == "cpu" { print $2 + $3 + $4, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9, ours; exit }' /proc/stat
}
other_pct() { # snap_before snap_after -> % of the machine used by other processes
  awk -v a="$1" -v b="$2" 'BEGIN { split(a, x, " "); split(b, y, " ");
    busy = y[1] - x[1]; total = y[2] - x[2]; ours = y[3] - x[3]; o = busy - ours;
    if (o < 0 || total <= 0) o = 0; printf "%.0f", (total > 0) ? 100 * o / total : 0 }'
}

to_ms() { # wrk time ("812.00us", "4.10ms", "1.02s", "1.50m") -> ms
  awk -v v="$1" 'BEGIN { n = v + 0; u = v; sub(/^[0-9.]+/, "", u);
    f = (u == "us") ? 0.001 : (u == "s") ? 1000 : (u == "m") ? 60000 : (u == "h") ? 3600000 : 1;
    printf "%.3f", n * f }'
}

run_wrk() { # key url lua
  local key=$1 url=$2 lua=$3 out="$WORK/wrk-${1//[^a-z0-9]/_}.txt" lat p99 bad sock snap
  MAX_ID=$MAX_ID MAX_PAGE=$MAX_PAGE wrk -t"$WRK_THREADS" -c"$CONNS" -d"${WARMUP}s" -s "$lua" "$url" >/dev/null 2>&1 || true
  snap=$(cpu_snap)
  MAX_ID=$MAX_ID MAX_PAGE=$MAX_PAGE wrk -t"$WRK_THREADS" -c"$CONNS" -d"${DURATION}s" --latency -s "$lua" "$url" >"$out" 2>&1 ||
    die "wrk failed against $url: $(tail -n 3 "$out")"
  OTHER[$key]=$(other_pct "$snap" "$(cpu_snap)")
  RPS[$key]=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
  lat=$(awk '$1 == "Latency" { print $2; exit }' "$out")
  p99=$(awk '$1 == "99%" { print $2; exit }' "$out")
  bad=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$out")
  sock=$(awk '/Socket errors:/ { gsub(/,/, ""); print $4 + $6 + $8 + $10 }' "$out")
  if [ -z "${RPS[$key]}" ] || [ -z "$p99" ]; then die "could not parse wrk output: $(cat "$out")"; fi
  P99[$key]=$(to_ms "$p99")
  AVG[$key]=$(to_ms "$lat")
  ERR[$key]=$(( ${bad:-0} + ${sock:-0} ))
  log "  $key: ${RPS[$key]} req/s, p99 ${P99[$key]} ms, errors ${ERR[$key]}, other processes ${OTHER[$key]}% CPU"
}

run_pgbench() { # key clients sqlfile -D args...
  local key=$1 clients=$2 sql=$3 out="$WORK/pgbench-${1//[^a-z0-9]/_}.txt" logdir="$WORK/pgbench-log-${1//[^a-z0-9]/_}" failed snap
  shift 3
  "$PGBIN/pgbench" -h 127.0.0.1 -p "$PG_PORT" -U postgres -n -M prepared -c "$clients" -j "$WRK_THREADS" \
    -T "$WARMUP" "$@" -f "$sql" bench >/dev/null 2>&1 || true
  mkdir -p "$logdir"
  snap=$(cpu_snap)
  "$PGBIN/pgbench" -h 127.0.0.1 -p "$PG_PORT" -U postgres -n -M prepared -c "$clients" -j "$WRK_THREADS" \
    -T "$DURATION" "$@" -f "$sql" --log --log-prefix="$logdir/tx" bench >"$out" 2>&1 ||
    die "pgbench failed: $(tail -n 5 "$out")"
  OTHER[$key]=$(other_pct "$snap" "$(cpu_snap)")
  RPS[$key]=$(awk '/^tps = / { print $3 }' "$out")
  AVG[$key]=$(awk '/^latency average = / { print $4 }' "$out")
  failed=$(awk '/^number of failed transactions:/ { print $5 }' "$out")
  ERR[$key]=${failed:-0}
  # per-transaction log: client tx_no latency_us script epoch us
  P99[$key]=$(cat "$logdir"/tx.* | awk '{ print $3 }' | sort -n |
    awk '{ a[NR] = $1 } END { if (NR == 0) { print "nan"; exit } i = int(NR * 0.99 + 0.999999); if (i > NR) i = NR; printf "%.3f", a[i] / 1000 }')
  rm -rf "$logdir"
  [ -n "${RPS[$key]}" ] || die "could not parse pgbench output: $(cat "$out")"
  log "  $key: ${RPS[$key]} tps, p99 ${P99[$key]} ms, failed ${ERR[$key]}, other processes ${OTHER[$key]}% CPU"
}

CASES=(byid list)
declare -A LUA SQL PGARGS CASE_TITLE
LUA[byid]="$ROOT/bench/wrk/byid.lua";  SQL[byid]="$ROOT/bench/pgbench/byid.sql"
LUA[list]="$ROOT/bench/wrk/list.lua";  SQL[list]="$ROOT/bench/pgbench/list.sql"
PGARGS[byid]="-D max_id=$MAX_ID"
PGARGS[list]="-D max_page=$MAX_PAGE -D status=under_construction"
CASE_TITLE[byid]="GET /api/v1/public/projects/{id}, id random in 1..$MAX_ID"
CASE_TITLE[list]="GET /api/v1/public/projects?status=under_construction&sort=-registered_on&page=P&size=20, P random in 1..$MAX_PAGE"

for c in "${CASES[@]}"; do
  log "case $c: ${CASE_TITLE[$c]}"
  run_wrk "$c:jianguan" "http://127.0.0.1:$J_PORT" "${LUA[$c]}"
  for mode in $PEER_MODES; do run_wrk "$c:peer-$mode" "${PEER_URL[$mode]}" "${LUA[$c]}"; done
  # shellcheck disable=SC2086
  run_pgbench "$c:pgbench" "$CONNS" "${SQL[$c]}" ${PGARGS[$c]}
  if [ "$PGBENCH_POOL_ROW" = 1 ]; then
    # shellcheck disable=SC2086
    run_pgbench "$c:pgbench-pool" "$J_POOL" "${SQL[$c]}" ${PGARGS[$c]}
  fi
done

J_DIED=0
kill -0 "$J_PID" 2>/dev/null || { J_DIED=1; log "jianguan is no longer running after the load"; }

# ---------------------------------------------------------------- report
fmt() { awk -v v="$1" -v f="$2" 'BEGIN { printf f, v }'; }
div() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print 0; else printf "%.6f", a / b }'; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print 0; else printf "%.6f", 100 * a / b }'; }
# The value printed in a GOAL line is rounded against the goal (down for
# "at least" goals, up for "below" goals) and the verdict is taken on it.
floor_to() { awk -v v="$1" -v d="$2" 'BEGIN { s = 10 ^ d; printf "%.*f", d, int(v * s + 1e-9) / s }'; }
ceil_to() { awk -v v="$1" -v d="$2" 'BEGIN { s = 10 ^ d; x = v * s; i = int(x); if (i < x - 1e-9) i++; printf "%.*f", d, i / s }'; }

echo
echo "== bench/api_read.sh: public project API, read path =="
echo "machine: $NCPU cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) RAM; all processes (load generator, servers, PostgreSQL) share it"
echo "load average before the start: $LOAD_START (well above 0 means other work was running and skews every number)"
echo "postgres: $("$PGBIN/postgres" --version | awk '{ print $3 }'), shared_buffers=$PG_SHARED_BUFFERS, max_connections=200; project: $NROWS rows, $TABLE_SIZE incl. indexes (seed-demo took ${SEED_S}s)"
echo "load: wrk -t$WRK_THREADS -c$CONNS -d${DURATION}s --latency (after ${WARMUP}s warm-up); pgbench -n -M prepared -c $CONNS -j $WRK_THREADS -T $DURATION"
echo "jianguan: JIANGUAN_THREADS=$J_THREADS JIANGUAN_DB_POOL_SIZE=$J_POOL, access log off"
echo "peer: node $(node --version), fastify $(node -p "require('$ROOT/bench/peer/node_modules/fastify/package.json').version") + pg $(node -p "require('$ROOT/bench/peer/node_modules/pg/package.json').version"), pg.Pool max $PEER_POOL_MAX per process; modes: $PEER_MODES"
echo "      (cluster = node cluster module with $NCPU workers, what a Node team runs on a $NCPU-core box; the goal ratio uses the faster peer mode)"
if [ "$CHECK_FAILED" = 1 ]; then
  echo "!! correctness check FAILED: the numbers below compare servers that do not give the same answers"
  sed 's/^/   /' "$WORK/check.txt"
fi
if [ "$J_DIED" = 1 ]; then
  echo "!! jianguan had exited by the end of the load; last lines of its log:"
  tail -n 20 "$WORK/jianguan.log" | sed 's/^/   /'
fi
echo

declare -A BEST_PEER
NOISY=0
for c in "${CASES[@]}"; do
  echo "-- $c: ${CASE_TITLE[$c]}"
  printf '   %-36s %12s %10s %10s %8s %8s\n' "target" "req/s" "p99 ms" "avg ms" "errors" "other%"
  keys=("$c:jianguan")
  for mode in $PEER_MODES; do keys+=("$c:peer-$mode"); done
  keys+=("$c:pgbench")
  [ "$PGBENCH_POOL_ROW" = 1 ] && keys+=("$c:pgbench-pool")
  best=""
  for k in "${keys[@]}"; do
    case ${k#*:} in
      jianguan) label="jianguan (C)" ;;
      pgbench) label="pgbench limit, $CONNS clients" ;;
      pgbench-pool) label="(info) pgbench, $J_POOL clients" ;;
      peer-*) label=${PEER_LABEL[${k#*:peer-}]} ;;
    esac
    printf '   %-36s %12s %10s %10s %8s %8s\n' "$label" "$(fmt "${RPS[$k]}" '%.0f')" "$(fmt "${P99[$k]}" '%.2f')" "$(fmt "${AVG[$k]}" '%.2f')" "${ERR[$k]}" "${OTHER[$k]}"
    [ "${OTHER[$k]}" -lt 10 ] || NOISY=1
    if [[ $k == *:peer-* ]] && { [ -z "$best" ] || awk -v a="${RPS[$k]}" -v b="${RPS[$best]}" 'BEGIN { exit !(a > b) }'; }; then best=$k; fi
  done
  BEST_PEER[$c]=$best
  printf '   jianguan / peer (%s) = %sx   jianguan / pgbench = %s%%\n' "${best#*:}" \
    "$(floor_to "$(div "${RPS[$c:jianguan]}" "${RPS[$best]}")" 2)" \
    "$(floor_to "$(pct "${RPS[$c:jianguan]}" "${RPS[$c:pgbench]}")" 0)"
  for mode in $PEER_MODES; do
    printf '   peer (%s) / pgbench = %s%%\n' "$mode" "$(floor_to "$(pct "${RPS[$c:peer-$mode]}" "${RPS[$c:pgbench]}")" 0)"
  done
  [ "${ERR[$c:jianguan]}" = 0 ] || echo "   !! jianguan answered ${ERR[$c:jianguan]} requests with a non-2xx status or a socket error: its goals for this case count as MISS"
  echo
done

echo "other% = share of the machine's CPU used by processes outside this benchmark during the timed run"
if [ "$NOISY" = 1 ]; then
  echo "!! other processes used 10 % or more of the CPU during some runs: those rows are skewed; rerun on a quiet machine"
fi
echo

verdict() { # measured target ge|lt clean(1|0)
  if [ "$4" != 1 ]; then echo MISS; return; fi
  if awk -v m="$1" -v t="$2" -v op="$3" 'BEGIN { exit !((op == "ge") ? (m >= t) : (m < t)) }'; then echo PASS; else echo MISS; fi
}

for c in "${CASES[@]}"; do
  clean=1
  [ "${ERR[$c:jianguan]}" = 0 ] && [ "$CHECK_FAILED" = 0 ] && [ "$J_DIED" = 0 ] || clean=0
  r=$(floor_to "$(div "${RPS[$c:jianguan]}" "${RPS[${BEST_PEER[$c]}]}")" 2)
  echo "GOAL ${c}_vs_peer measured=${r}x target=3x $(verdict "$r" 3 ge "$clean")"
  r=$(floor_to "$(pct "${RPS[$c:jianguan]}" "${RPS[$c:pgbench]}")" 0)
  echo "GOAL ${c}_vs_pgbench measured=${r}% target=60% $(verdict "$r" 60 ge "$clean")"
  r=$(ceil_to "${P99[$c:jianguan]}" 1)
  echo "GOAL ${c}_p99 measured=${r}ms target=20ms $(verdict "$r" 20 lt "$clean")"
done

if [ "$CHECK_FAILED" = 1 ] || [ "$J_DIED" = 1 ]; then
  log "jianguan failed the correctness check or did not survive the load: exiting 1"
  exit 1
fi
