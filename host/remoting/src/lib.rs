//! wasmq-remoting (placeholder, filled in by its issue).
