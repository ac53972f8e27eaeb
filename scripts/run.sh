#!/usr/bin/env bash
# make run: migrate and seed the local SQLite database, then serve on http://127.0.0.1:8080.
set -euo pipefail
cd "$(dirname "$0")/.."
export JIANGUAN_DATABASE=${JIANGUAN_DATABASE:-sqlite:data/jianguan.db}
export JIANGUAN_LISTEN=${JIANGUAN_LISTEN:-127.0.0.1:8080}
mkdir -p data
build/jianguan migrate
build/jianguan seed-demo
echo
echo "建管 jianguan is starting on http://${JIANGUAN_LISTEN}  (database ${JIANGUAN_DATABASE}; Ctrl-C stops it)"
echo "  health:  http://${JIANGUAN_LISTEN}/healthz"
echo "  API:     http://${JIANGUAN_LISTEN}/api/v1/openapi.json"
exec build/jianguan serve
