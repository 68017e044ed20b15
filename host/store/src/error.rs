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
    /// The store is shut down, cannot take writes (disk full: the text then starts with
    /// [`DISK_FULL`], see [`StoreError::is_disk_full`]), or (from `open`) its directory is
    /// locked by another process or store instance.
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

/// Prefix of the [`StoreError::ServiceNotAvailable`] text of a put refused because the disk is
/// full (usage above `diskSpaceWarningLevelRatio`, or ENOSPC while creating the next file).
pub const DISK_FULL: &str = "disk full";

impl StoreError {
    /// Whether this is the disk-full refusal of a put (the broker answers it like every
    /// `ServiceNotAvailable`: code 14 with Java's remark).
    pub fn is_disk_full(&self) -> bool {
        matches!(self, StoreError::ServiceNotAvailable(s) if s.starts_with(DISK_FULL))
    }

    /// A disk-full refusal with `detail` appended.
    pub(crate) fn disk_full(detail: impl std::fmt::Display) -> Self {
        StoreError::ServiceNotAvailable(format!("{DISK_FULL}: {detail}"))
    }

    /// Turns an ENOSPC/EDQUOT I/O error (creating or sizing a file) into the disk-full refusal;
    /// every other error is returned unchanged.
    pub(crate) fn refuse_if_no_space(self) -> Self {
        match self {
            StoreError::Io { path, source } if is_no_space(&source) => StoreError::disk_full(
                format_args!("no space left creating {}: {source}", path.display()),
            ),
            other => other,
        }
    }

    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        StoreError::Io {
            path: path.into(),
            source,
        }
    }
}

/// Whether an I/O error means "no space left" (ENOSPC, or EDQUOT: quota exhausted).
pub(crate) fn is_no_space(e: &std::io::Error) -> bool {
    use rustix::io::Errno;
    let code = e.raw_os_error();
    e.kind() == std::io::ErrorKind::StorageFull
        || code == Some(Errno::NOSPC.raw_os_error())
        || code == Some(Errno::DQUOT.raw_os_error())
}
