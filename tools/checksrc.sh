#!/usr/bin/env bash
# Source check (after curl's checksrc): banned functions and SQL built by string concatenation.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
banned='\b(strcpy|strcat|sprintf|vsprintf|gets|atoi|atol|atof|strtok)\s*\('
if grep -rnE "$banned" src tools tests/unit tests/fuzz --include='*.c' --include='*.h'; then
  echo "checksrc: use snprintf, jg_strlcpy, jg_parse_int64 or a jg_buf instead of the calls above" >&2
  status=1
fi
# SQL text must never be assembled from values: look for format strings that splice %s into SQL.
if grep -rnE '"(SELECT|INSERT|UPDATE|DELETE)[^"]*%s' src --include='*.c' | grep -v 'checksrc: allow'; then
  echo "checksrc: SQL must bind values as \$N parameters, never splice them with %s" >&2
  status=1
fi
exit $status
