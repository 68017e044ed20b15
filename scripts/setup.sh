#!/usr/bin/env bash
# One-time (idempotent) set-up of everything wasmq needs beyond the Rust toolchain:
# the wasm32-wasip2 target (or Debian's rustc-web fallback), the example plugins, and the npm
# packages of the client tests. Safe to run again: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[setup] %s\n' "$*" >&2; }

# 1. A toolchain that builds plugins into WebAssembly components.
if rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip2; then
  log "wasm32-wasip2 target present"
elif timeout 120 rustup target add wasm32-wasip2; then
  log "wasm32-wasip2 target installed"
else
  log "rustup target add wasm32-wasip2 failed or hung; falling back to Debian's rustc-web"
  if ! command -v /usr/bin/rustc >/dev/null || ! /usr/bin/rustc --print target-list | grep -q wasm32-unknown-unknown; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq rustc-web cargo-web rust-web-src rust-web-llvm lld-22
  fi
fi

# 2. The example plugins, built from source into plugins/dist/.
scripts/build-plugins.sh plugins/dist

# 3. npm packages for the client tests (only when the tests need them).
if [ "${1:-}" = "--tests" ] && [ -x tests/setup.sh ]; then
  tests/setup.sh
fi
log "done"
