#!/usr/bin/env bash
# Build the web UI into web/dist: copy web/public and precompress text assets (.gz beside each).
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf web/dist
mkdir -p web/dist
cp -R web/public/. web/dist/
find web/dist -type f \( -name '*.html' -o -name '*.js' -o -name '*.css' -o -name '*.svg' -o -name '*.json' \) \
  -size +1k -exec gzip -9 -k -n {} \;
