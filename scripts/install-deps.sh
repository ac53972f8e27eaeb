#!/usr/bin/env bash
# The one place that lists, checks and installs the Debian 12 packages jianguan needs.
#
# usage: scripts/install-deps.sh [run|test|bench|all]   (default: run)
#   As root: installs what is missing (apt-get). Otherwise: prints the exact apt-get line and
#   exits 1 when something is missing, 0 when everything is there.
set -euo pipefail

# Building and running the server.
RUN=(gcc make cmake ninja-build pkg-config libc6-dev
     libmicrohttpd-dev libjansson-dev libsqlite3-dev libpq-dev libssl-dev libcurl4-openssl-dev zlib1g-dev
     libosip2-dev libxml2-dev libxlsxwriter-dev libzip-dev libcairo2-dev libpango1.0-dev libqrencode-dev
     liblua5.4-dev fonts-noto-cjk
     ca-certificates)
# Tests: cmocka, a PostgreSQL 15 server, Node.js for API tests, clang + libFuzzer, the sqlite3 CLI.
TEST=(libcmocka-dev postgresql postgresql-client sqlite3 clang libclang-rt-14-dev curl gzip procps
      sip-tester baresip-core unzip poppler-utils zbar-tools chromium ffmpeg)
# Benchmarks: wrk (load), pgbench (in the postgresql package), npm for the Node.js peers, Kamailio (the
# REGISTER peer of bench/video.sh).
BENCH=(wrk postgresql-contrib kamailio)

group=${1:-run}
case "$group" in
  run) want=("${RUN[@]}") ;;
  test) want=("${RUN[@]}" "${TEST[@]}") ;;
  bench) want=("${RUN[@]}" "${TEST[@]}" "${BENCH[@]}") ;;
  all) want=("${RUN[@]}" "${TEST[@]}" "${BENCH[@]}") ;;
  *) echo "usage: $0 [run|test|bench|all]" >&2; exit 2 ;;
esac
# Node.js: use the machine's own if it has one (it may be newer than Debian's), else Debian's.
# The web UI is built with npm (scripts/web.sh, part of make run), so every group needs both.
if ! command -v node >/dev/null 2>&1; then want+=(nodejs); fi
if [ "$group" = run ] || [ "$group" = test ]; then command -v npm >/dev/null 2>&1 || want+=(npm); fi
if [ "$group" = bench ] || [ "$group" = all ]; then
  command -v npm >/dev/null 2>&1 || want+=(npm)
fi

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "jianguan needs these Debian packages. Install them with:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
