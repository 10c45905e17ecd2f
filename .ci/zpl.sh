#!/usr/bin/env bash
# Install the independent ZPL renderer the label tests use (npm zpl-renderer-js, MIT: zebrash
# compiled to WebAssembly, renders offline) into .tools/node, idempotently, from the lock file
# in tests/tools/zpl. Node and npm come from Debian's packages when missing (as root).
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=tests/tools/zpl
DST=.tools/node
say() { printf '[zpl] %s\n' "$*"; }
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  if [[ -f /etc/debian_version && "$(id -u)" == 0 ]]; then
    say "installing nodejs and npm from Debian's packages"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
  else
    say "missing node/npm: install Node.js >= 18 and npm, then run: bash .ci/zpl.sh" >&2
    exit 1
  fi
fi
mkdir -p "$DST"
if [[ -f "$DST/node_modules/zpl-renderer-js/package.json" ]] \
   && cmp -s "$SRC/package-lock.json" "$DST/package-lock.json" \
   && cmp -s "$SRC/render.mjs" "$DST/render.mjs"; then
  exit 0
fi
cp "$SRC/package.json" "$SRC/package-lock.json" "$SRC/render.mjs" "$DST/"
say "npm ci in $DST"
(cd "$DST" && npm ci --no-audit --no-fund --silent)
