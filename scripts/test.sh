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
step "build BPF objects" npm run -s build:bpf
step "build libbpf addon" npm run -s build:native
step "build CNI plugin" npm run -s build:cni
step "build agent bundle" npm run -s build:agent
step "typecheck" npx tsc -p tsconfig.node.json
step "typecheck (web)" npx tsc -p tsconfig.web.json
step "typecheck (console benchmark page)" npx tsc -p test/bench/console/tsconfig.json
step "lint" npx eslint .
step "unit tests" npx vitest run --project unit
step "kernel tests (BPF programs, addon, real traffic in namespaces)" npx vitest run --project kernel
step "build console (electron-vite)" npx electron-vite build
step "build lab control plane" npm run build:lab
step "lab tests" npx vitest run --project lab
step "e2e tests (browser mode, Chromium, lab)" npx vitest run --project e2e
echo
echo "lumen: all test steps passed"
