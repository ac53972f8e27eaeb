#!/usr/bin/env bash
# bench/video/signalling.sh (part of bench/video.sh) — the GB/T 28181 signalling service (issue 8, "Benchmark"), driven by tools/gbsim:
#   1. DEVICES (40,000) devices with one channel each, 60 s keepalives, all starting at once
#      against `jianguan video` on SQLite: the time until every one is registered (goal < 60 s),
#      the time from then until the catalog of all their channels is in the database, and the service's
#      CPU over STEADY (60) seconds of keepalives afterwards (goal < 20 % of one core);
#   2. REGISTER throughput: RATE_DEVICES (10,000) new devices registering (a challenge and an
#      authenticated REGISTER each, digest MD5 qop=auth) at each offered rate of RATES
#      (2000 4000 8000 16000 a second) against `jianguan video` and against Kamailio (Debian's
#      package; bench/video/kamailio.cfg: registrar with digest auth and an in-memory location
#      table, KAM_CHILDREN (2) UDP workers for the 2 cores): registrations per second achieved
#      (devices / time until all are registered; above capacity, lost datagrams wait for
#      retransmission), the best of the rates and of RUNS (2) rounds, and the ratio.
# Knobs: DEVICES, STEADY, RATE_DEVICES, RATES, RUNS, KAM_CHILDREN, SIP_PORT (15080), KAM_PORT (15081), KEEP_TMP=1.
set -euo pipefail
cd "$(dirname "$0")/../.."
DEVICES=${DEVICES:-40000}
STEADY=${STEADY:-60}
RATE_DEVICES=${RATE_DEVICES:-10000}
RATES=${RATES:-2000 4000 8000 16000}
RUNS=${RUNS:-2}
KAM_CHILDREN=${KAM_CHILDREN:-2}
SIP_PORT=${SIP_PORT:-15080}
KAM_PORT=${KAM_PORT:-15081}
PASSWORD=12345678
BENCH=video
. bench/lib/run.sh
need kamailio sqlite3
build_release jianguan gbsim

ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; } # user + system CPU of a process, in 1/100 s
summary_field() { sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p" <<<"$1" | tail -n 1; }

# Start `jianguan video` on a fresh SQLite database; sets VIDEO (its pid).
start_video() { # name
  local name=$1
  export JIANGUAN_DATABASE="sqlite:$tmp/$name.db" JIANGUAN_DATA_DIR="$tmp/data-$name" \
    JIANGUAN_VIDEO_SIP_LISTEN="127.0.0.1:$SIP_PORT" JIANGUAN_VIDEO_SIP_PASSWORD=$PASSWORD \
    JIANGUAN_VIDEO_MEDIA_LISTEN=127.0.0.1:0 \
    JIANGUAN_VIDEO_MAX_DEVICES=$(( DEVICES > RATE_DEVICES ? DEVICES * 2 : RATE_DEVICES * 2 ))
  mkdir -p "$JIANGUAN_DATA_DIR"
  build/jianguan migrate >"$tmp/migrate-$name.log" 2>&1 || die "migrate failed: $(tail -n 5 "$tmp/migrate-$name.log")"
  build/jianguan video >"$tmp/video.log" 2>&1 &
  VIDEO=$!
  pids+=("$VIDEO")
  for _ in $(seq 100); do grep -q "SIP listening" "$tmp/video.log" && break; sleep 0.1; done
  grep -q "SIP listening" "$tmp/video.log" || die "jianguan video did not start: $(tail -n 5 "$tmp/video.log")"
}
stop() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null || true; }

# ---- 1. DEVICES devices from cold, then steady keepalives ----
log "1. $DEVICES devices with 1 channel each, 60 s keepalives, all at once"
start_video cold
# One socket per simulated device: raise the open-file limit (root may), else split the devices
# over several gbsim processes.
ulimit -Hn 100000 2>/dev/null || true
ulimit -n "$(ulimit -Hn)"
per=$(( $(ulimit -n) - 200 ))
[ "$per" -lt "$DEVICES" ] || per=$DEVICES
SIMS=()
for (( first = 0; first < DEVICES; first += per )); do
  n=$(( DEVICES - first < per ? DEVICES - first : per ))
  build/gbsim --server "127.0.0.1:$SIP_PORT" --password $PASSWORD --devices "$n" --channels 1 --keepalive 60 \
    --rate 1000000 --first-serial $(( first + 1 )) --ip-base "127.$(( 2 + first / 60000 )).$(( first / 250 % 240 )).1" \
    >"$tmp/gbsim-cold-$first.out" 2>"$tmp/gbsim-cold-$first.err" &
  SIMS+=("$!")
  pids+=("$!")
done
log "${#SIMS[@]} gbsim process(es) of up to $per devices"
done_ms() { cat "$tmp"/gbsim-cold-*.out | sed -n 's/.*devices registered in \([0-9]*\) ms.*/\1/p'; }
for _ in $(seq 1200); do
  [ "$(done_ms | wc -l)" -ge "${#SIMS[@]}" ] && break
  for p in "${SIMS[@]}"; do kill -0 "$p" 2>/dev/null || die "gbsim exited: $(cat "$tmp"/gbsim-cold-*.err | tail -n 3)"; done
  sleep 0.1
done
t_start=$(date +%s.%N) # catalog time is counted from here, after the registrations
registered_s=""
[ "$(done_ms | wc -l)" -ge "${#SIMS[@]}" ] && registered_s=$(done_ms | sort -n | tail -n 1 | awk '{ printf "%.1f", $1 / 1000 }')
[ -n "$registered_s" ] || registered_s=120
log "all registered after $registered_s s"
catalog_s=""
for _ in $(seq 1200); do
  n=$(sqlite3 "$tmp/cold.db" "SELECT count(*) FROM video_channel" 2>/dev/null || echo 0)
  if [ "${n:-0}" -ge "$DEVICES" ]; then
    catalog_s=$(awk -v a="$t_start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    break
  fi
  sleep 0.5
done
CHANNELS=$(sqlite3 "$tmp/cold.db" "SELECT count(*) FROM video_channel")
ONLINE=$(sqlite3 "$tmp/cold.db" "SELECT count(*) FROM video_device WHERE online = 1" 2>/dev/null || echo "?")
log "catalog: $CHANNELS channels in the database after ${catalog_s:-more than 600} s; $ONLINE devices online"
# Catalog rounds (src/video/catalog.c): a lost chunk is asked for again after 5 quiet seconds.
ROUNDS=$(sqlite3 "$tmp/cold.db" "SELECT catalog_state || ':' || count(*) || ' (' || sum(catalog_tries > 1) || ' asked again)' FROM video_device GROUP BY catalog_state" 2>/dev/null | tr '\n' ' ')
log "catalog rounds by state: ${ROUNDS:-?}"
sleep 5 # let the catalog writes finish
log "steady keepalives for $STEADY s"
a=$(ticks "$VIDEO")
sleep "$STEADY"
b=$(ticks "$VIDEO")
STEADY_CPU=$(awk -v t="$((b - a))" -v s="$STEADY" 'BEGIN { printf "%.1f", t / s }')
RSS_MB=$(awk '/^VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$VIDEO/status")
log "steady: ${STEADY_CPU} % of one core, RSS $RSS_MB MB"
for p in "${SIMS[@]}"; do stop "$p"; done
stop "$VIDEO"

# ---- 2. REGISTER throughput against Kamailio ----
serial=100000
rate_run() { # port rate -> registrations per second achieved by RATE_DEVICES new devices
  local out ms sim f="$tmp/gbsim-rate.out"
  serial=$(( serial + RATE_DEVICES ))
  build/gbsim --server "127.0.0.1:$1" --password $PASSWORD --devices "$RATE_DEVICES" --channels 0 --keepalive 0 \
    --rate "$2" --first-serial "$serial" --ip-base 127.1.0.1 >"$f" 2>/dev/null &
  sim=$!
  for _ in $(seq $(( (RATE_DEVICES / $2 + 20) * 10 ))); do grep -q "devices registered in" "$f" && break; sleep 0.1; done
  stop "$sim" # the summary is the last line
  out=$(tail -n 1 "$f")
  ms=$(summary_field "$out" register_ms)
  if [ "$(summary_field "$out" registered)" != "$RATE_DEVICES" ] || [ -z "$ms" ] || [ "$ms" -le 0 ]; then echo 0; return; fi
  awk -v n="$RATE_DEVICES" -v ms="$ms" 'BEGIN { printf "%.0f", n * 1000 / ms }'
}
best() { printf '%s\n' "$@" | sort -n | tail -n 1; }
J_RATES=() K_RATES=()
for run in $(seq "$RUNS"); do
  start_video "rate$run"
  for r in $RATES; do J_RATES+=("$(rate_run "$SIP_PORT" "$r")"); done
  stop "$VIDEO"
  kamailio -f bench/video/kamailio.cfg -A "PASSWORD=\"$PASSWORD\"" -l "udp:127.0.0.1:$KAM_PORT" -n "$KAM_CHILDREN" \
    -m 512 -M 16 -DD -E >"$tmp/kamailio.log" 2>&1 &
  KAM=$!
  pids+=("$KAM")
  sleep 1
  for r in $RATES; do K_RATES+=("$(rate_run "$KAM_PORT" "$r")"); done
  stop "$KAM"
  log "round $run at offered $RATES/s: jianguan ${J_RATES[*]: -$(wc -w <<<"$RATES")} registrations/s, Kamailio ${K_RATES[*]: -$(wc -w <<<"$RATES")}"
done
J_RATE=$(best "${J_RATES[@]}")
K_RATE=$(best "${K_RATES[@]}")
RATIO=$(awk -v a="$J_RATE" -v b="$K_RATE" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }')

verdict() { awk -v m="$1" -v t="$2" -v up="$3" 'BEGIN { print ((up == 1 && m >= t) || (up == 0 && m < t)) ? "PASS" : "MISS" }'; }
echo
echo "== bench/video.sh, signalling: $DEVICES devices (1 channel each, 60 s keepalives) against jianguan video on SQLite; REGISTER rate with $RATE_DEVICES devices per run, $RUNS rounds, at offered rates $RATES against Kamailio $(kamailio -v | sed -n 's/^version: kamailio \([^ ]*\).*/\1/p') ($KAM_CHILDREN UDP workers)"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) RAM; load average now $(cut -d' ' -f1-3 /proc/loadavg)"
echo "cold start: all registered in $registered_s s; $CHANNELS channels in the database ${catalog_s:-600+} s later; steady keepalives ${STEADY_CPU} % of one core, RSS $RSS_MB MB"
echo "REGISTER (challenge + authenticated) per second at offered $RATES, round after round: jianguan ${J_RATES[*]}; Kamailio ${K_RATES[*]}; best: jianguan $J_RATE, Kamailio $K_RATE"
echo "GOAL video_register_all_s_devices$DEVICES measured=${registered_s}s target=60s $(verdict "$registered_s" 60 0)"
echo "GOAL video_steady_cpu_pct_devices$DEVICES measured=${STEADY_CPU}% target=20% $(verdict "$STEADY_CPU" 20 0)"
echo "GOAL video_catalog_loaded_channels$DEVICES measured=${CHANNELS} target=$DEVICES $(verdict "$CHANNELS" "$DEVICES" 1)"
echo "GOAL video_register_ratio_vs_kamailio measured=${RATIO}x target=1x $(verdict "$RATIO" 1 1)"
