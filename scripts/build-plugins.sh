#!/usr/bin/env bash
# Builds every plugin in plugins/ (examples and test fixtures) as wasm32-wasip2 components,
# in release, and copies the .wasm files into OUT_DIR (default: plugins/dist/).
#
# Route 1 (preferred): rustup's wasm32-wasip2 target + `cargo build --release --target wasm32-wasip2`.
# Route 2 (fallback, when `rustup target add` fails or hangs): Debian's rustc-web toolchain with
#   -Zbuild-std for wasm32-unknown-unknown, linked into a component by wasm-component-ld
#   (see docs/plugins.md §6). Needs root for apt-get. WASMQ_PLUGIN_ROUTE=debian forces this route.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$root/plugins/dist}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
cd "$root/plugins"

copy_out() { # target-dir triple
    local n=0
    for f in "$1/$2/release/"*.wasm; do
        [ -e "$f" ] || continue
        cp "$f" "$out/$(basename "$f" | tr _ -)"
        n=$((n + 1))
    done
    echo "build-plugins: copied $n component(s) to $out"
    [ "$n" -gt 0 ]
}

start=$(date +%s)
if [ "${WASMQ_PLUGIN_ROUTE:-}" != debian ] && timeout 120 rustup target add wasm32-wasip2; then
    echo "build-plugins: rustup route (wasm32-wasip2)"
    cargo build --release --target wasm32-wasip2 --workspace --locked 2>&1 || cargo build --release --target wasm32-wasip2 --workspace
    copy_out "${CARGO_TARGET_DIR:-$root/plugins/target}" wasm32-wasip2
else
    echo "build-plugins: using Debian rustc-web + build-std (wasm32-unknown-unknown)" >&2
    if [ ! -x /usr/lib/rustlib/x86_64-unknown-linux-gnu/bin/wasm-component-ld ]; then
        apt-get update
        apt-get install -y rustc-web cargo-web rust-web-src rust-web-llvm lld-22
    fi
    export RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1
    export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=/usr/lib/rustlib/x86_64-unknown-linux-gnu/bin/wasm-component-ld
    /usr/bin/cargo build --release --target wasm32-unknown-unknown --workspace -Zbuild-std=std,panic_abort
    copy_out "${CARGO_TARGET_DIR:-$root/plugins/target}" wasm32-unknown-unknown
fi
echo "build-plugins: done in $(( $(date +%s) - start ))s"
