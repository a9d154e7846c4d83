#!/usr/bin/env bash
# Deployment policy checks: Terraform, CloudFormation, workflows, Dockerfile,
# docker-compose. Installs the pinned npm packages (package-lock.json) when
# node_modules is missing or older than the lock file, then runs
# `node --test` and exits with its status. Nothing is downloaded while the
# tests run.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

command -v node >/dev/null 2>&1 || { echo "tests/policy: node (>= 20) is required" >&2; exit 1; }

stamp="$here/node_modules/.package-lock.json"
if [ ! -f "$stamp" ] || [ "$here/package-lock.json" -nt "$stamp" ] || [ "$here/package.json" -nt "$stamp" ]; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || {
    echo "tests/policy: npm ci failed" >&2
    exit 1
  }
fi

cd "$repo"
exec node --test tests/policy/
