//! wasmq-protocol: Apache RocketMQ 4.x remoting protocol as a pure codec (no I/O).
pub mod message;
