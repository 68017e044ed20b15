//! wasmq-store: RocketMQ-compatible native message store (commit log, consume queues, index).
//!
//! Map: `store` (public facade `MessageStore`), `config`, `error`, `types` (API values).
pub mod config;
pub mod error;
mod store;
pub mod types;

pub use config::{FlushDiskType, RecoveryMode, StoreConfig};
pub use error::StoreError;
pub use store::MessageStore;
pub use types::*;
