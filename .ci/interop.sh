#!/usr/bin/env bash
# Build the independent receipt verifier (tests/interop/go, Go + golang.org/x/mod/sumdb) into
# .tools/interop/verify_receipt, idempotently. Nothing is downloaded from a Go module proxy:
# the toolchain and golang.org/x/mod come from Debian's packages (golang-go,
# golang-golang-x-mod-dev) and the build runs in GOPATH mode against /usr/share/gocode.
#
# - Go or x/mod missing: installed with apt-get on Debian as root; elsewhere, says what to run
#   and fails.
# - The binary is rebuilt only when a Go source file is newer than it (or it is missing).
set -euo pipefail
cd "$(dirname "$0")/.."

ROOT="$(pwd)"
SRC_DIR="tests/interop/go"
OUT_DIR=".tools/interop"
BIN="$OUT_DIR/verify_receipt"
GOPATH_DIR="${TRACE_INTEROP_GOPATH:-/usr/share/gocode}"
XMOD="$GOPATH_DIR/src/golang.org/x/mod/sumdb/note/note.go"
say() { printf '[interop] %s\n' "$*"; }
die() { printf '[interop] ERROR: %s\n' "$*" >&2; exit 1; }

need=()
command -v go >/dev/null 2>&1 || need+=(golang-go)
[[ -f "$XMOD" ]] || need+=(golang-golang-x-mod-dev)
if (( ${#need[@]} )); then
  if [[ -f /etc/debian_version && "$(id -u)" == 0 ]]; then
    say "installing ${need[*]} from Debian's packages"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    die "missing ${need[*]}. On Debian/Ubuntu run:
    sudo apt-get install golang-go golang-golang-x-mod-dev
  (or provide a Go toolchain and golang.org/x/mod source under \$TRACE_INTEROP_GOPATH/src)
  then run: bash .ci/interop.sh"
  fi
fi
command -v go >/dev/null 2>&1 || die "go is still not on PATH after installing golang-go"
[[ -f "$XMOD" ]] || die "golang.org/x/mod source not found at $XMOD"

mkdir -p "$OUT_DIR"
stale=0
if [[ ! -x "$BIN" ]]; then
  stale=1
else
  for f in "$SRC_DIR"/*.go .ci/interop.sh; do
    [[ "$f" -nt "$BIN" ]] && stale=1
  done
fi
if [[ $stale == 0 ]]; then
  say "up to date: $BIN"
  exit 0
fi

say "building $BIN ($(go version | awk '{print $3}'), golang.org/x/mod from $GOPATH_DIR)"
GO111MODULE=off GOPATH="$GOPATH_DIR" GOFLAGS= GOPROXY=off GOSUMDB=off \
  GOCACHE="$ROOT/$OUT_DIR/gocache" CGO_ENABLED=0 \
  go build -trimpath -o "$BIN.tmp" "$SRC_DIR"/*.go
mv -f "$BIN.tmp" "$BIN"
say "built $BIN"
