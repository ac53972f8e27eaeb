# Sourced by the benchmarks (bench/records.sh, bench/flow.sh, bench/video.sh …): set BENCH (the
# name in log lines) first. Gives log/die, need (tools on PATH), build_release (targets under
# build/, built Release when missing), npm_ready (a package directory's node_modules), $tmp (a
# directory removed at exit unless KEEP_TMP=1), and a jianguan server and a PostgreSQL cluster that
# are stopped on any exit: serve_start / serve_stop (on $URL), pg_start / pg_stop (on $PG_PORT).
# Processes put in the array pids are killed at exit too.
T0=$(date +%s)
log() { printf '[%s %4ss] %s\n' "$BENCH" "$(( $(date +%s) - T0 ))" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
need() { local t; for t in "$@"; do command -v "$t" >/dev/null || die "$t not found (scripts/install-deps.sh bench)"; done; }
build_release() { # target...: built, or brought up to date, in build/ (Release); never a stale binary
  [ -f build/build.ninja ] || cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build build --target "$@" >/dev/null
}
npm_ready() { # directory package
  [ -d "$1/node_modules/$2" ] || (cd "$1" && npm ci --no-audit --no-fund --loglevel=error)
}

tmp=$(mktemp -d "/tmp/jianguan-$BENCH-bench.XXXXXX")
chmod 755 "$tmp" # a PostgreSQL cluster inside runs as the postgres user
server=""
pg_started=0
pids=()
bench_cleanup() {
  local rc=$? p
  set +e
  if [ -n "$server" ]; then kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; fi
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  [ "$pg_started" = 1 ] && scripts/pg-cluster.sh stop "$tmp/pg"
  local logf
  for logf in "$tmp/serve.log" "$tmp/video.log"; do
    if [ "$rc" != 0 ] && [ -s "$logf" ]; then echo "---- last lines of $(basename "$logf")" >&2; tail -n 20 "$logf" >&2; fi
  done
  if [ "${KEEP_TMP:-0}" = 1 ]; then log "kept $tmp"; else rm -rf "$tmp"; fi
  exit "$rc"
}
trap bench_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

serve_start() { # what (for the error message)
  build/jianguan serve >"$tmp/serve.log" 2>&1 &
  server=$!
  local _
  for _ in $(seq 100); do curl -fsS -o /dev/null "$URL/healthz" 2>/dev/null && break; sleep 0.1; done
  kill -0 "$server" 2>/dev/null || die "$1: the server exited"
}
serve_stop() { kill "$server"; wait "$server" 2>/dev/null || true; server=""; }
pg_start() {
  log "starting PostgreSQL on port $PG_PORT"
  scripts/pg-cluster.sh start "$tmp/pg" "$PG_PORT"
  pg_started=1
}
pg_stop() { scripts/pg-cluster.sh stop "$tmp/pg"; pg_started=0; }
