#!/usr/bin/env bash
# Regenerate the key table of docs/configuration.md from `jianguan help config` (run after adding a key).
set -euo pipefail
cd "$(dirname "$0")/.."
doc=docs/configuration.md
table=$(${JG_BIN:-build/jianguan} help config | awk '{
  key = $1; def = $3; doc = $0
  sub(/^[^ ]+ +default +[^ ]+ +/, "", doc)
  gsub(/\|/, "\\|", doc)
  printf "| `%s` | `JIANGUAN_%s` | `%s` | %s |\n", key, toupper(key), def, doc }')
awk -v table="$table" '
  /^\| key \| environment variable/ { print; getline; print; print table; skip = 1; next }
  skip && /^\|/ { next }
  { skip = 0; print }' "$doc" > "$doc.new"
mv "$doc.new" "$doc"
