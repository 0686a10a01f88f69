#!/usr/bin/env bash
# Installs what Lumen's build and tests need on a fresh Debian machine (as root):
# Debian packages, then npm packages from the lock file. Idempotent and quiet when
# everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  clang llvm libbpf-dev libelf-dev zlib1g-dev bpftool pkg-config build-essential
  iproute2 iptables openssl containernetworking-plugins
  chromium iperf3 python3 util-linux procps
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "lumen: missing Debian packages (${missing[*]}); run as root or install them" >&2
    exit 1
  fi
  echo "==> apt-get install ${missing[*]}"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Go builds the lab's control plane (kube-apiserver, controller-manager, scheduler, etcd).
if ! command -v go >/dev/null 2>&1; then
  echo "lumen: Go 1.26 or newer is needed to build the lab's control plane; install it (https://go.dev/dl) and put it on PATH" >&2
  exit 1
fi
go_minor=$(go env GOVERSION | sed -E 's/^go1\.([0-9]+).*/\1/')
if [ "${go_minor:-0}" -lt 26 ]; then
  echo "lumen: Go $(go env GOVERSION) is too old; the lab's control plane (Kubernetes v1.36) needs Go 1.26 or newer" >&2
  exit 1
fi

# npm ci when node_modules is missing or older than the lock file.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "==> npm ci"
  ELECTRON_SKIP_BINARY_DOWNLOAD=1 npm ci --no-audit --no-fund
fi
