//! wasmq-broker (placeholder, filled in by its issue).
