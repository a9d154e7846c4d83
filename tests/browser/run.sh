#!/usr/bin/env bash
# The browser tests (app.test.mjs): Debian's Chromium driven by playwright-core
# against a real tvshows (TVSHOWS_BIN, else build/asan or build/release).
# Installs the pinned npm packages (package-lock.json) when node_modules is
# missing or older than the lock file; nothing is downloaded while the tests
# run, and no browser is ever downloaded. Prints TAP, exits with its status.
#
#   tests/browser/run.sh [--ci]
#
# Without Chromium (or Node.js) the run is reported as skipped, or with --ci
# as a failure: in CI nothing may pass by not running.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
ci=0
[ "${1:-}" = --ci ] && ci=1
chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"

missing=""
command -v node >/dev/null 2>&1 || missing="Node.js (>= 20)"
[ -x "$chromium" ] || missing="${missing:+$missing and }Chromium ($chromium; apt-get install chromium)"
if [ -n "$missing" ]; then
  echo "TAP version 13"
  if [ "$ci" = 1 ]; then
    echo "not ok 1 - browser tests: $missing not installed"
    printf '1..1\n# tests 1\n# pass 0\n# fail 1\n'
    exit 1
  fi
  echo "ok 1 - browser tests # SKIP $missing not installed"
  printf '1..1\n# tests 1\n# pass 0\n# fail 0\n# skipped 1\n'
  exit 0
fi

stamp="$here/node_modules/.package-lock.json"
if [ ! -f "$stamp" ] || [ "$here/package-lock.json" -nt "$stamp" ] || [ "$here/package.json" -nt "$stamp" ]; then
  (cd "$here" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >&2) || {
    echo "TAP version 13"; echo "not ok 1 - browser tests: npm ci failed"; printf '1..1\n# pass 0\n# fail 1\n'
    exit 1
  }
fi

cd "$repo"
exec node --test --test-concurrency=1 --test-reporter=tap tests/browser/app.test.mjs
