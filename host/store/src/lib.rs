//! wasmq-store: RocketMQ-compatible native message store (commit log, consume queues, index).
//!
//! Map:
//! - `store` (open, put, shutdown) and `read` (get, queries) implement the facade
//!   [`MessageStore`]; `config`, `error`, `types`: its API values.
//! - `mmap` (the only `unsafe`): mappings with one writer and published read ranges;
//!   `mapped_file_queue`: directories of fixed-size files named by start offset;
//!   `allocate`: background pre-allocation + pre-faulting of the next commit-log file.
//! - `commit_log`: the appender (offsets, queue offsets, timestamps) and zero-copy reads.
//! - `dispatch` (reput) builds `consume_queue`s (table in `queues`) and `index` files from it.
//! - `flush`: ASYNC_FLUSH timer / SYNC_FLUSH group commit; a failed flush poisons the store.
//! - `checkpoint`, `recovery`: the checkpoint/abort files and commit-log recovery modes.
//!
//! Invariants: one appender (the commit-log mutex, held only for the copy); readers see only
//! published bytes; consume queues and index are derived from the commit log alone, so a crash
//! between append and dispatch is repaired by replaying the log (`RecoveryMode::Abnormal`).
//!
//! Not here (yet): retention/clean-up of old files and disk watermarks (readers already handle
//! a missing commit-log file as `MessageWasRemoving`, and `min_phy_offset`/`min_offset_in_queue`
//! follow the first file), slave/HA, `transientStorePoolEnable`, the consume-queue extension.
mod allocate;
#[doc(hidden)]
pub mod bench_support;
mod checkpoint;
mod commit_log;
pub mod config;
mod consume_queue;
mod dispatch;
pub mod error;
mod flush;
mod index;
mod mapped_file_queue;
mod mmap;
mod queues;
mod read;
mod recovery;
mod signal;
mod store;
pub mod types;

pub use config::{FlushDiskType, StoreConfig};
pub use error::StoreError;
pub use recovery::RecoveryMode;
pub use store::MessageStore;
pub use types::*;
