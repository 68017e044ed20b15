#!/usr/bin/env bash
# Installs what the end-to-end tests (tests/) need; idempotent and quick when already done.
#  1. ali-ons and its dependencies: `npm ci` in tests/node (skipped when node_modules matches the lockfile).
#  2. the rocketmq-client-rust driver (tests/rust-client, its own cargo workspace), built into
#     <target>/rust-client where the harness looks for it (<target> = $CARGO_TARGET_DIR or ./target).
#     Set WASMQ_E2E_SKIP_RUST_CLIENT=1 to skip (its first build takes a few minutes).
#  3. Debian's chromium (apt-get, as root) and `npm ci` in tests/console (playwright-core) for the
#     web console's browser test.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"

for tool in node npm cargo; do
  command -v "$tool" >/dev/null || { echo "tests/setup.sh: '$tool' is required" >&2; exit 1; }
done

node_dir="$here/node"
stamp="$node_dir/node_modules/.package-lock.json"
if [[ -f "$node_dir/node_modules/ali-ons/package.json" && -f "$stamp" && "$stamp" -nt "$node_dir/package-lock.json" ]]; then
  echo "tests/setup.sh: ali-ons already installed"
else
  echo "tests/setup.sh: npm ci in tests/node"
  (cd "$node_dir" && npm ci --no-audit --no-fund)
fi

if [[ "${WASMQ_E2E_SKIP_RUST_CLIENT:-0}" != "1" ]]; then
  target="${CARGO_TARGET_DIR:-$root/target}/rust-client"
  echo "tests/setup.sh: building the rocketmq-client-rust driver into $target"
  cargo build --quiet --manifest-path "$here/rust-client/Cargo.toml" --target-dir "$target"
fi

# 3. the web console's browser test (tests/tests/console.rs): Debian's chromium and playwright-core
#    (which drives that chromium; it downloads no browser of its own).
if [[ ! -x /usr/bin/chromium ]]; then
  echo "tests/setup.sh: installing Debian's chromium"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq chromium >/dev/null 2>&1 \
    || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }
else
  echo "tests/setup.sh: chromium already installed"
fi
console_dir="$here/console"
stamp="$console_dir/node_modules/.package-lock.json"
if [[ -f "$console_dir/node_modules/playwright-core/package.json" && -f "$stamp" && "$stamp" -nt "$console_dir/package-lock.json" ]]; then
  echo "tests/setup.sh: playwright-core already installed"
else
  echo "tests/setup.sh: npm ci in tests/console"
  (cd "$console_dir" && npm ci --no-audit --no-fund)
fi
