#!/usr/bin/env bash
# Builds agent/native/build/Release/lumen_bpf.node against Debian's libbpf, offline:
# node-gyp gets the installed Node headers (--nodedir) instead of downloading them.
set -euo pipefail
cd "$(dirname "$0")"

nodedir=$(node -p 'require("path").resolve(process.execPath, "..", "..")')
if [ ! -f "$nodedir/include/node/node_api.h" ]; then
  echo "lumen-native: Node headers not found under $nodedir/include/node (install nodejs headers)" >&2
  exit 1
fi
if ! pkg-config --exists libbpf; then
  echo "lumen-native: libbpf not found by pkg-config (apt-get install libbpf-dev)" >&2
  exit 1
fi

gyp=(npx --no-install node-gyp --nodedir="$nodedir" --jobs=2 --loglevel=warn)
if [ ! -f build/Makefile ] || [ binding.gyp -nt build/Makefile ]; then
  "${gyp[@]}" configure
fi
# A build dir configured by another checkout or node-gyp install points at files that are
# gone: configure again once before giving up.
"${gyp[@]}" build || { echo "lumen-native: reconfiguring the build dir" >&2; "${gyp[@]}" configure && "${gyp[@]}" build; }
echo "lumen-native: built $(pwd)/build/Release/lumen_bpf.node"
