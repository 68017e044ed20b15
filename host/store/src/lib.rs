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
//! - `clean` (thread + `MessageStore::{clean_now, delete_expired_files_now, set_topic_retention,
//!   set_retention_advisor}`): disk watermarks, commit-log expiry, removal of consume-queue and
//!   index files below the commit log; `cleanup`: its clock/disk-probe seams and report;
//!   `retention`: the advisor hook and per-topic logical retention; `sys`: statvfs and the local
//!   hour, through rustix and chrono.
//!
//! Invariants: one appender (the commit-log mutex, held only for the copy); readers see only
//! published bytes; consume queues and index are derived from the commit log alone, so a crash
//! between append and dispatch is repaired by replaying the log (`RecoveryMode::Abnormal`).
//!
//! Broker wiring of clean-up: fill the `StoreConfig` clean-up fields from broker.conf
//! (`deleteWhen`, `fileReservedTime`, `diskMaxUsedSpaceRatio`, `cleanFileForciblyEnable`,
//! `deleteCommitLogFilesInterval`, `destroyMapedFileIntervalForcibly`, `cleanResourceInterval`;
//! the two `rocketmq.broker.disk*Ratio` system properties are fractions, the fields percent),
//! then `MessageStore::open` starts the clean-up thread by itself. A put refused for a full
//! disk is `StoreError::ServiceNotAvailable` with [`StoreError::is_disk_full`] true (answer 14,
//! Java's remark). DELETE_EXPIRED_COMMITLOG (329) calls `delete_expired_files_now()` and
//! answers success. `set_topic_retention` / `set_retention_advisor` are optional.
//!
//! Not here (yet): slave/HA, `transientStorePoolEnable`, the consume-queue extension,
//! `;`-separated multiple commit-log directories.
mod allocate;
#[doc(hidden)]
pub mod bench_support;
mod checkpoint;
mod clean;
pub mod cleanup;
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
pub mod retention;
mod signal;
mod store;
mod sys;
pub mod types;

pub use cleanup::{
    CleanReport, CleanupEnv, Clock, DiskUsageProbe, ManualClock, ManualDiskUsage, StatvfsProbe,
    SystemClock,
};
pub use config::{FlushDiskType, StoreConfig};
pub use error::{DISK_FULL, StoreError};
pub use flush::FlushObserver;
pub use recovery::RecoveryMode;
pub use retention::{ExpiringFile, ExpiringFileKind, RetentionAdvisor, TopicRetention};
pub use store::MessageStore;
pub use types::*;
