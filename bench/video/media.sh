#!/usr/bin/env bash
# bench/video/media.sh (part of bench/video.sh) — the media path of `jianguan video` (issue 8, "Benchmark", first part):
#   STREAMS concurrent live streams through one node: gbsim (one NVR with STREAMS channels) streams
#   an MPEG-PS file of about BITRATE over RTP/UDP to jianguan, which demuxes it and serves HTTP-FLV
#   to one viewer per stream (a Node.js client counting FLV video tags). Measured over DURATION s:
#   the CPU of the jianguan process (utime+stime from /proc, % of one core), RTP packet loss
#   (packets gbsim sent vs packets jianguan counted, and the sequence gaps jianguan saw), and the
#   frame rate every viewer received. Ends with GOAL lines.
# Knobs: STREAMS (default 534, the issue's figure), DURATION (30), BITRATE (2M), TRANSPORT (udp|tcp),
#        KEEP_TMP=1.
# bench/video/signalling.sh holds the signalling parts (40,000 devices, REGISTER rate against Kamailio).
# Not yet: the plain-UDP-forwarding baseline in the same run and the added latency.
set -euo pipefail
cd "$(dirname "$0")/../.."
STREAMS=${STREAMS:-534}
DURATION=${DURATION:-30}
BITRATE=${BITRATE:-2M}
TRANSPORT=${TRANSPORT:-udp}
BENCH=video_media
. bench/lib/run.sh
need ffmpeg node python3
build_release jianguan gbsim

log "making a 6 s 1280x720 H.264 PS file at $BITRATE"
# Noise keeps the encoder at the asked bitrate (a plain test pattern compresses to a fraction of it).
ffmpeg -v error -y -f lavfi -i "testsrc=size=1280x720:rate=25,noise=alls=25:allf=t+u" -t 6 -c:v libx264 \
  -preset ultrafast -b:v "$BITRATE" \
  -maxrate "$BITRATE" -bufsize "$BITRATE" -g 50 -bf 0 -f vob "$tmp/in.mpg"

media_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export JIANGUAN_DATABASE="sqlite:$tmp/j.db" JIANGUAN_DATA_DIR="$tmp/data" JIANGUAN_VIDEO_SIP_LISTEN=127.0.0.1:0 \
  JIANGUAN_VIDEO_SIP_PASSWORD=bench-pass-1 JIANGUAN_VIDEO_MEDIA_LISTEN="127.0.0.1:$media_port" \
  JIANGUAN_VIDEO_MEDIA_TRANSPORT="$TRANSPORT" JIANGUAN_VIDEO_LIVE_IDLE_S=1 JIANGUAN_LOG_LEVEL=info
"build/jianguan" migrate >/dev/null
"build/jianguan" video 2>"$tmp/video.log" &
vpid=$!
pids+=("$vpid")
for _ in $(seq 100); do grep -q "SIP listening" "$tmp/video.log" && break; sleep 0.1; done
sip_port=$(sed -n 's/.*SIP listening on udp+tcp 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/video.log")
[ -n "$sip_port" ] || die "video did not start: $(cat "$tmp/video.log")"
"build/gbsim" --server "127.0.0.1:$sip_port" --password bench-pass-1 --devices 1 --channels "$STREAMS" --chunk 8 \
  --keepalive 10 --ps "$tmp/in.mpg" >"$tmp/gbsim.out" 2>&1 &
gpid=$!
pids+=("$gpid")
dev=35010200001180000001
for _ in $(seq 300); do
  n=$(grep -c "catalog of $dev complete" "$tmp/video.log" || true)
  [ "$n" -ge 1 ] && break
  sleep 0.1
done
log "device registered with $STREAMS channels; signing $STREAMS live URLs"
python3 - "$tmp" "$media_port" "$STREAMS" > "$tmp/urls" <<'PY'
import hmac, sys, time
tmp, port, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
fk = open(f'{tmp}/data/keys/field.key', 'rb').read()
k = hmac.new(fk, b'jianguan video live url v1', 'sm3').digest()
dev, exp = '35010200001180000001', int(time.time()) + 3600
for i in range(n):
    ch = '3501020000131%07d' % (1 + i)
    sig = hmac.new(k, f'live/{dev}/{ch}/{exp}'.encode(), 'sm3').hexdigest()
    print(f'http://127.0.0.1:{port}/live/{dev}/{ch}.flv?exp={exp}&sig={sig}')
PY
cat > "$tmp/viewers.mjs" <<'JS'
// One HTTP-FLV viewer per URL: counts bytes and FLV video tags, prints a JSON summary at SIGTERM.
import http from 'node:http';
import { readFileSync } from 'node:fs';
const urls = readFileSync(process.argv[2], 'utf8').trim().split('\n');
const stats = urls.map(() => ({ bytes: 0, tags: 0, status: 0, buf: Buffer.alloc(0), skip: 13, first: 0, last: 0 }));
urls.forEach((u, i) => {
  const s = stats[i];
  http.get(u, { agent: false }, (res) => {
    s.status = res.statusCode;
    res.on('data', (d) => {
      s.bytes += d.length;
      let b = Buffer.concat([s.buf, d]);
      while (true) {
        if (s.skip > 0) { const k = Math.min(s.skip, b.length); s.skip -= k; b = b.subarray(k); if (s.skip > 0) break; }
        if (b.length < 11) break;
        const size = b.readUIntBE(1, 3);
        if (b[0] === 9) { s.tags++; const now = Date.now(); if (!s.first) s.first = now; s.last = now; }
        s.skip = 11 + size + 4;
      }
      s.buf = Buffer.from(b);
    });
  }).on('error', () => { s.status = -1; });
});
process.on('SIGTERM', () => {
  const ok = stats.filter((s) => s.status === 200);
  const fps = ok.map((s) => (s.last > s.first ? (s.tags - 1) * 1000 / (s.last - s.first) : 0)).sort((a, b) => a - b);
  console.log(JSON.stringify({ viewers: urls.length, ok: ok.length, bytes: ok.reduce((a, s) => a + s.bytes, 0),
    tags: ok.reduce((a, s) => a + s.tags, 0), fps_min: fps[0] ?? 0, fps_median: fps[Math.floor(fps.length / 2)] ?? 0 }));
  process.exit(0);
});
JS
node "$tmp/viewers.mjs" "$tmp/urls" > "$tmp/viewers.out" &
npid=$!
pids+=("$npid")
log "waiting for $STREAMS streams to play"
for _ in $(seq 600); do
  n=$(grep -c "playing (" "$tmp/video.log" || true)
  [ "$n" -ge "$STREAMS" ] && break
  sleep 0.1
done
sleep 3 # past the start (key frames, GOP caches)
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
c0=$(cpu "$vpid"); g0=$(cpu "$gpid"); t0=$(date +%s.%N)
log "measuring for $DURATION s"
sleep "$DURATION"
c1=$(cpu "$vpid"); g1=$(cpu "$gpid"); t1=$(date +%s.%N)
kill -TERM "$npid"; wait "$npid" || true
sleep 3 # idle BYEs: every stream logs its counters
kill -TERM "$gpid"; wait "$gpid" || true
kill -TERM "$vpid"; wait "$vpid" || true
pids=()
read -r cpu_pct gbsim_pct < <(python3 -c "
c=($c1-$c0)/$hz; g=($g1-$g0)/$hz; t=$t1-$t0
print(round(100*c/t,1), round(100*g/t,1))")
python3 - "$tmp" "$STREAMS" "$cpu_pct" "$gbsim_pct" "$DURATION" <<'PY'
import json, re, sys
tmp, n, cpu, gcpu, dur = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
log = open(f'{tmp}/video.log', encoding='utf-8', errors='replace').read()
ends = re.findall(r'ends \((\d+) RTP packets, (\d+) lost, (\d+) frames, (\d+) with a foreign SSRC', log)
recv = sum(int(e[0]) for e in ends); gaps = sum(int(e[1]) for e in ends)
g = json.loads(open(f'{tmp}/gbsim.out').read().strip().split('\n')[-1])
v = json.loads(open(f'{tmp}/viewers.out').read().strip().split('\n')[-1])
sent = g['rtp_packets']
# Loss is what jianguan saw missing in the sequence numbers; packets sent but not counted at all
# are those still in flight when the BYE closed a stream (or, if many, dropped before any count).
loss = 100.0 * gaps / (recv + gaps) if recv + gaps else 100.0
mbps = g['rtp_bytes'] * 8 / 1e6
print(f'streams {n}, played {len(ends)}, viewers ok {v["ok"]}/{v["viewers"]}')
print(f'RTP sent {sent} packets ({mbps:.0f} Mbit in all), counted by jianguan {recv} (the rest in flight at BYE), sequence gaps {gaps}')
print(f'aggregate bitrate in: {mbps / (float(dur) + 8):.1f} Mbit/s over the run (file at its BITRATE per stream)')
print(f'jianguan video CPU {cpu}% of one core over {dur} s (gbsim {gcpu}%)')
print(f'viewers: {v["tags"]} video tags, frame rate min {v["fps_min"]:.1f} median {v["fps_median"]:.1f} (source 25)')
ok = lambda b: 'PASS' if b else 'MISS'
print(f'GOAL video_streams_played_{n} measured={len(ends)} target={n} {ok(len(ends) == n and v["ok"] == n)}')
print(f'GOAL video_packet_loss_pct_streams{n} measured={loss:.3f}% target=0% {ok(gaps == 0 and recv >= sent * 0.99)}')
print(f'GOAL video_media_cpu_pct_streams{n} measured={cpu}% target=200% {ok(cpu < 200)}')
PY
