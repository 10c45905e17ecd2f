#!/usr/bin/env bash
# Install axe-core (npm, MPL-2.0; a test tool, not shipped) for the consumer page's accessibility
# check (tests/e2e/test_accessibility.py) into .tools/node/axe, idempotently, from the lock file
# in tests/tools/axe. Node and npm come from Debian's packages when missing (as root).
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=tests/tools/axe
DST=.tools/node/axe
say() { printf '[axe] %s\n' "$*"; }
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  if [[ -f /etc/debian_version && "$(id -u)" == 0 ]]; then
    say "installing nodejs and npm from Debian's packages"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
  else
    say "missing node/npm: install Node.js >= 18 and npm, then run: bash .ci/axe.sh" >&2
    exit 1
  fi
fi
mkdir -p "$DST"
if [[ -f "$DST/node_modules/axe-core/axe.min.js" ]] \
   && cmp -s "$SRC/package-lock.json" "$DST/package-lock.json"; then
  exit 0
fi
cp "$SRC/package.json" "$SRC/package-lock.json" "$DST/"
say "npm ci in $DST"
(cd "$DST" && npm ci --no-audit --no-fund --silent)
