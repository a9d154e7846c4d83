#!/usr/bin/env bash
# Lints docs/openapi.json with Redocly CLI (pinned in package-lock.json) and
# the rules in redocly.yaml. Installs the linter with `npm ci` when
# node_modules is missing or older than package-lock.json; after that it runs
# offline. Extra arguments go to `redocly lint` (e.g. --format=summary).
# Exit status: 0 when the document is lint-clean, non-zero otherwise.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
doc="$root/docs/openapi.json"

# No usage data, no update check: nothing leaves the machine while linting.
export REDOCLY_TELEMETRY=off
export REDOCLY_SUPPRESS_UPDATE_NOTICE=true
export NO_UPDATE_NOTIFIER=1

for tool in node npm; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "lint.sh: $tool not found (Node.js >= 20.19 and npm are needed)" >&2
        exit 2
    fi
done

cd "$here"
stamp="node_modules/.lint-stamp"
want="$(sha256sum package.json package-lock.json | sha256sum | cut -d' ' -f1)"
if [ ! -x node_modules/.bin/redocly ] || [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "lint.sh: installing the linter (npm ci)" >&2
    npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >&2
    echo "$want" >"$stamp"
fi

# The path is given relative to this folder so that the entries of
# .redocly.lint-ignore.yaml (relative to it as well) apply.
exec node_modules/.bin/redocly lint --config redocly.yaml "$@" "$(realpath --relative-to="$here" "$doc")"
