//! `checkpoint` (4 KiB: physicMsgTimestamp@0, logicsMsgTimestamp@8, indexMsgTimestamp@16) and
//! the `abort` marker and the `lock` file.

use crate::error::StoreError;
use std::fs::OpenOptions;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// Checkpoint file size.
pub(crate) const CHECKPOINT_SIZE: usize = 4096;

/// Timestamps of the newest records known durable in each structure.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Checkpoint {
    pub(crate) physic_msg_timestamp: i64,
    pub(crate) logics_msg_timestamp: i64,
    pub(crate) index_msg_timestamp: i64,
}

impl Checkpoint {
    /// Reads `path`; a missing or short file gives zeros.
    pub(crate) fn load(path: &Path) -> Result<Checkpoint, StoreError> {
        match std::fs::read(path) {
            Ok(b) => {
                let at = |i: usize| {
                    b.get(i..i + 8)
                        .and_then(|s| s.try_into().ok())
                        .map_or(0, i64::from_be_bytes)
                };
                Ok(Checkpoint {
                    physic_msg_timestamp: at(0),
                    logics_msg_timestamp: at(8),
                    index_msg_timestamp: at(16),
                })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Checkpoint::default()),
            Err(e) => Err(StoreError::io(path, e)),
        }
    }

    /// Writes and fdatasyncs `path` (4 KiB).
    pub(crate) fn store(&self, path: &Path) -> Result<(), StoreError> {
        let mut b = [0u8; CHECKPOINT_SIZE];
        b[0..8].copy_from_slice(&self.physic_msg_timestamp.to_be_bytes());
        b[8..16].copy_from_slice(&self.logics_msg_timestamp.to_be_bytes());
        b[16..24].copy_from_slice(&self.index_msg_timestamp.to_be_bytes());
        let f = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(|e| StoreError::io(path, e))?;
        f.write_all_at(&b, 0).map_err(|e| StoreError::io(path, e))?;
        f.sync_data().map_err(|e| StoreError::io(path, e))
    }

    /// Minimum timestamp recovery may trust (`getMinTimestamp`, minus 3 s of slack).
    pub(crate) fn min_timestamp(&self, index_enabled: bool) -> i64 {
        let mut m = self.physic_msg_timestamp.min(self.logics_msg_timestamp);
        if index_enabled {
            m = m.min(self.index_msg_timestamp);
        }
        m - 3000
    }
}

/// The `abort` marker: present while the store is open.
#[derive(Debug)]
pub(crate) struct AbortMarker {
    path: PathBuf,
}

impl AbortMarker {
    /// Whether the previous run did not shut down cleanly.
    pub(crate) fn exists(path: &Path) -> bool {
        path.exists()
    }

    /// Creates the marker (fsynced).
    pub(crate) fn create(path: &Path) -> Result<AbortMarker, StoreError> {
        let f = std::fs::File::create(path).map_err(|e| StoreError::io(path, e))?;
        f.sync_all().map_err(|e| StoreError::io(path, e))?;
        Ok(AbortMarker {
            path: path.to_path_buf(),
        })
    }

    /// Deletes the marker (clean shutdown).
    pub(crate) fn remove(&self) -> Result<(), StoreError> {
        match std::fs::remove_file(&self.path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(StoreError::io(&self.path, e)),
        }
    }
}

/// Takes the exclusive `lock` file of a store directory (released when the `File` drops or the
/// process dies).
pub(crate) fn lock_dir(path: &Path) -> Result<std::fs::File, StoreError> {
    let f = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|e| StoreError::io(path, e))?;
    match f.try_lock() {
        Ok(()) => Ok(f),
        Err(std::fs::TryLockError::WouldBlock) => Err(StoreError::ServiceNotAvailable(format!(
            "store directory lock {} is held by another process or store instance",
            path.display()
        ))),
        Err(std::fs::TryLockError::Error(e)) => Err(StoreError::io(path, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoint_roundtrip_and_abort_marker() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("checkpoint");
        assert_eq!(Checkpoint::load(&p).ok(), Some(Checkpoint::default()));
        let c = Checkpoint {
            physic_msg_timestamp: 1,
            logics_msg_timestamp: 2,
            index_msg_timestamp: 3,
        };
        assert!(c.store(&p).is_ok());
        assert_eq!(std::fs::metadata(&p).map(|m| m.len()).ok(), Some(4096));
        assert_eq!(Checkpoint::load(&p).ok(), Some(c));
        assert_eq!(c.min_timestamp(true), 1 - 3000);
        let a = dir.path().join("abort");
        assert!(!AbortMarker::exists(&a));
        let m = AbortMarker::create(&a).expect("create");
        assert!(AbortMarker::exists(&a));
        assert!(m.remove().is_ok());
        assert!(!AbortMarker::exists(&a));
    }
}
