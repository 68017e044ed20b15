//! wasmq-plugin-host (placeholder, filled in by its issue).
