#!/usr/bin/env bash
# Build the web UI into web/dist: Vue 3 + Element Plus built by Vite from web/ (npm packages pinned
# in web/package-lock.json, no CDN), then precompress text assets (.gz beside each, served by
# jianguan serve to clients that accept gzip).
set -euo pipefail
cd "$(dirname "$0")/../web"
if ! command -v npm >/dev/null 2>&1; then
  echo "web.sh: npm is missing (Debian: apt-get install nodejs npm, or scripts/install-deps.sh run)" >&2
  exit 1
fi
# npm ci only when node_modules is missing or older than the lock file (a changed lock).
stamp=node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
rm -rf dist
npx --no-install vite build --logLevel warn
find dist -type f \( -name '*.html' -o -name '*.js' -o -name '*.css' -o -name '*.svg' -o -name '*.json' \) \
  -size +1k -exec gzip -9 -k -n {} \;
