#!/usr/bin/env bash
# bench/rules.sh — the rule engine (issue 7, "Tests and benchmark"), part (a): clause-rule
# evaluations per second in jianguan's Lua sandbox against the npm package json-rules-engine on
# the same rule set and facts (bench/rules/: 20 clause rules in rules.json, 1,000 findings in
# facts.json, both from gen.mjs; rules.lua is rules.json translated into one Lua rule).
#   jianguan: `jianguan rules bench` — one sandbox, the compiled rule cached, facts converted and
#             the result and explanation built on every evaluation, instruction/memory/time
#             limits on; the GOAL figure. It also runs clause.lua, which interprets rules.json
#             itself at run time (given as params), printed for comparison only.
#   peer:     bench/rules/peer.mjs — Engine.run(facts) per evaluation after a JIT warm-up.
# Both sum the points of the rules that fire; the checksums must agree.
# Knobs: N (jianguan evaluations, default 1000000), PEER_N (default 50000), BIN (default
# build/jianguan, built Release when missing). Parts (b) and (c) (credit recomputation and
# ranking p95) are bench/scoring/credit.sh, run at the end (SCORING=0 skips them; its knobs
# ROWS, COMPANIES, PERSONS, PERIOD, DBS apply).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000000}
PEER_N=${PEER_N:-50000}
BIN=${BIN:-build/jianguan}
log() { printf '[rules] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

command -v node >/dev/null || die "node not found"
if [ ! -x "$BIN" ]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build build --target jianguan
  BIN=build/jianguan
fi
[ -d bench/rules/node_modules/json-rules-engine ] || (cd bench/rules && npm ci --no-audit --no-fund --loglevel=error)
(cd bench/rules && node gen.mjs)

field() { node -e 'const o = JSON.parse(process.argv[1]); console.log(o[process.argv[2]])' "$1" "$2"; }
log "jianguan: $N evaluations of rules.lua"
ours=$("$BIN" rules bench --rule bench/rules/rules.lua --facts bench/rules/facts.json --n "$N")
log "  $ours"
log "jianguan: $((N / 10)) evaluations of clause.lua (rules.json interpreted at run time)"
interp=$("$BIN" rules bench --rule bench/rules/clause.lua --params bench/rules/rules.json --facts bench/rules/facts.json --n $((N / 10)))
log "  $interp"
log "json-rules-engine: $PEER_N evaluations"
peer=$(node bench/rules/peer.mjs "$PEER_N")
log "  $peer"

# The same findings cycle in both: checksums per 1,000 evaluations (one pass over facts.json) agree.
per_pass() { node -e 'const o = JSON.parse(process.argv[1]); console.log(Math.round(o.checksum * 1000 / o.evaluations))' "$1"; }
[ "$(per_pass "$ours")" = "$(per_pass "$peer")" ] || die "checksums differ: $(per_pass "$ours") vs $(per_pass "$peer")"
[ "$(per_pass "$interp")" = "$(per_pass "$peer")" ] || die "clause.lua checksum differs"

ours_ps=$(field "$ours" per_second)
peer_ps=$(field "$peer" per_second)
interp_ps=$(field "$interp" per_second)
ratio=$(node -e "console.log((${ours_ps} / ${peer_ps}).toFixed(1))")
iratio=$(node -e "console.log((${interp_ps} / ${peer_ps}).toFixed(1))")
echo "jianguan rules.lua: ${ours_ps}/s ($(field "$ours" micros) us each); clause.lua (interpreting rules.json): ${interp_ps}/s (${iratio}x); json-rules-engine: ${peer_ps}/s"
echo "GOAL rules_eval_ratio measured=${ratio} target=20 $(node -e "console.log(${ratio} >= 20 ? 'PASS' : 'MISS')")"
echo "GOAL rules_eval_per_s measured=${ours_ps} target=100000 $(node -e "console.log(${ours_ps} >= 100000 ? 'PASS' : 'MISS')")"

# Parts (b) and (c): the full credit recomputation and the ranking page (bench/scoring/credit.sh).
if [ "${SCORING:-1}" = 1 ]; then bench/scoring/credit.sh; fi
