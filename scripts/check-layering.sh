#!/usr/bin/env bash
# Keeps the architecture's arrows pointing one way: the codec has no runtime or sockets,
# the store has no sockets, the plugin host knows nothing of the wire format, the metrics crate
# knows no server, and the admin library and the console reach a cluster only over the wire.
set -euo pipefail
cd "$(dirname "$0")/.."
fail=0
check() { # crate, forbidden-regex, why
  if cargo tree -p "$1" -e normal --prefix none 2>/dev/null | tail -n +2 | grep -Eq "$2"; then
    echo "layering: $1 must not depend on $2 ($3)" >&2
    fail=1
  fi
}
check wasmq-protocol '^(tokio|mio|wasmq-[a-z-]+) ' "the codec is pure"
check wasmq-store '^(mio|wasmq-remoting|wasmq-broker|wasmq-namesrv) ' "the store knows nothing of sockets"
check wasmq-plugin-host '^(wasmq-protocol|wasmq-remoting|wasmq-store) ' "plugins know the WIT contract, not the wire format"
check wasmq-metrics '^wasmq-[a-z-]+ ' "metrics are read through probes, not by reaching into servers"
check wasmq-admin '^(wasmq-broker|wasmq-namesrv|wasmq-store|wasmq-plugin-host) ' "admin speaks the remoting protocol only"
check wasmq-console '^(wasmq-broker|wasmq-namesrv|wasmq-store|wasmq-plugin-host) ' "the console goes through wasmq-admin"
exit $fail
