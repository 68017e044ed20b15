//! wasmq-namesrv (placeholder, filled in by its issue).
