#!/usr/bin/env bash
# bench/video.sh — issue 8's benchmark, in two parts, each a script of its own ending with its GOAL
# lines (knobs in their headers, passed through the environment):
#   bench/video/signalling.sh  40,000 devices from cold (time to register, catalog loaded, steady
#                              keepalive CPU) and the REGISTER rate against Kamailio;
#   bench/video/media.sh       concurrent live streams through one media node (CPU, loss, frames).
# PART=signalling|media|all (default all).
set -euo pipefail
cd "$(dirname "$0")/.."
case "${PART:-all}" in
  signalling) exec bash bench/video/signalling.sh ;;
  media) exec bash bench/video/media.sh ;;
  all) bash bench/video/signalling.sh; bash bench/video/media.sh ;;
  *) echo "usage: PART=signalling|media|all bench/video.sh" >&2; exit 2 ;;
esac
