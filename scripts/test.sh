#!/usr/bin/env bash
# `npm test`: installs what is missing, builds every artifact the tests use, then runs
# typecheck, lint and every test project. Each step prints a header and its duration;
# the first failure stops the run.
set -euo pipefail
cd "$(dirname "$0")/.."
export ELECTRON_SKIP_BINARY_DOWNLOAD=1

step() {
  local name=$1; shift
  local t0=$SECONDS
  echo
  echo "==> $name"
  "$@"
  echo "<== $name ($((SECONDS - t0)) s)"
}

step "install dependencies" bash scripts/deps.sh
step "typecheck" npx tsc -p tsconfig.node.json
step "typecheck (web)" npx tsc -p tsconfig.web.json
step "lint" npx eslint .
step "unit tests" npx vitest run --project unit
echo
echo "lumen: all test steps passed"
