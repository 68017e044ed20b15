//! `StoreError`: every way a store operation can fail, with the data needed to explain it.

use std::path::PathBuf;

/// Errors returned by the message store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A flush (msync/fdatasync) failed earlier; the store refuses writes until restart + recovery.
    #[error("store poisoned by a failed flush, writes refused until restart: {cause}")]
    Poisoned {
        /// Description of the original flush failure.
        cause: String,
    },
    /// The encoded record exceeds `maxMessageSize` (or a whole commit-log file).
    #[error("message too large: record {size} bytes, limit {max} bytes")]
    MessageTooLarge {
        /// Encoded record size.
        size: usize,
        /// Limit that was exceeded.
        max: usize,
    },
    /// The properties string is longer than 32767 bytes.
    #[error("properties too long: {len} bytes, limit 32767")]
    PropertiesTooLong {
        /// Length of the properties string.
        len: usize,
    },
    /// The topic is longer than 127 bytes (or empty).
    #[error("bad topic length {len} (1..=127 bytes)")]
    TopicTooLong {
        /// Length of the topic.
        len: usize,
    },
    /// A batch with no items.
    #[error("empty message batch")]
    EmptyBatch,
    /// The store is shut down, cannot take writes, or (from `open`) its directory is locked by
    /// another process or store instance.
    #[error("service not available: {0}")]
    ServiceNotAvailable(String),
    /// The store directory holds data this code cannot recover.
    #[error("corrupt store at {path}: {reason}")]
    Corrupt {
        /// File concerned.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// An I/O error on a file of the store.
    #[error("i/o error on {path}: {source}")]
    Io {
        /// File concerned.
        path: PathBuf,
        /// Underlying error.
        #[source]
        source: std::io::Error,
    },
}

impl StoreError {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        StoreError::Io {
            path: path.into(),
            source,
        }
    }
}
