//! A directory of fixed-size mapped files named by their 20-digit start offset.

use crate::error::StoreError;
use crate::mmap::{MappedRegion, RegionWriter};
use parking_lot::RwLock;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One file of a queue: its start offset and mapping.
#[derive(Debug, Clone)]
pub(crate) struct MappedFile {
    /// Offset of the file's first byte in the queue's offset space.
    pub(crate) start: i64,
    /// The mapping.
    pub(crate) region: Arc<MappedRegion>,
}

impl MappedFile {
    /// Offset one past the file's last byte.
    pub(crate) fn end(&self) -> i64 {
        self.start + self.region.len() as i64
    }

    /// Offset one past the file's last published byte.
    pub(crate) fn published_end(&self) -> i64 {
        self.start + self.region.published() as i64
    }
}

/// File name for a start offset (`00000000001073741824`).
pub(crate) fn file_name(start: i64) -> String {
    format!("{start:020}")
}

/// Ordered files of one directory, readable concurrently; only the owner adds/removes.
#[derive(Debug)]
pub(crate) struct MappedFileQueue {
    dir: PathBuf,
    file_size: usize,
    files: RwLock<Vec<MappedFile>>,
}

impl MappedFileQueue {
    /// Opens every `NNNNNNNNNNNNNNNNNNNN` file of `dir` (creating `dir`), oldest first, with
    /// their writers (nothing is published yet: the caller recovers and publishes).
    pub(crate) fn load(
        dir: &Path,
        file_size: usize,
    ) -> Result<(Self, Vec<RegionWriter>), StoreError> {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::io(dir, e))?;
        let mut starts = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(|e| StoreError::io(dir, e))? {
            let entry = entry.map_err(|e| StoreError::io(dir, e))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if name.len() == 20
                && name.bytes().all(|b| b.is_ascii_digit())
                && let Ok(start) = name.parse::<i64>()
            {
                starts.push(start);
            }
        }
        starts.sort_unstable();
        let mut files = Vec::with_capacity(starts.len());
        let mut writers = Vec::with_capacity(starts.len());
        for start in starts {
            if start % file_size as i64 != 0 {
                return Err(StoreError::Corrupt {
                    path: dir.join(file_name(start)),
                    reason: format!("start offset not a multiple of the file size {file_size}"),
                });
            }
            let path = dir.join(file_name(start));
            let (region, writer) =
                MappedRegion::open(&path, file_size).map_err(|e| StoreError::io(&path, e))?;
            files.push(MappedFile { start, region });
            writers.push(writer);
        }
        let q = MappedFileQueue {
            dir: dir.to_path_buf(),
            file_size,
            files: RwLock::new(files),
        };
        Ok((q, writers))
    }

    /// Directory.
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// File size.
    pub(crate) fn file_size(&self) -> usize {
        self.file_size
    }

    /// Creates (not yet listed) the file starting at `start`.
    pub(crate) fn create(&self, start: i64) -> Result<(MappedFile, RegionWriter), StoreError> {
        create_file(&self.dir, start, self.file_size)
    }

    /// Lists a file created with [`create`](Self::create) (must follow the last one).
    pub(crate) fn push(&self, file: MappedFile) {
        let mut files = self.files.write();
        debug_assert!(files.last().is_none_or(|l| l.end() == file.start));
        files.push(file);
    }

    /// The file holding `offset`.
    pub(crate) fn find(&self, offset: i64) -> Option<MappedFile> {
        let files = self.files.read();
        let first = files.first()?.start;
        if offset < first {
            return None;
        }
        let idx = usize::try_from((offset - first) / self.file_size as i64).ok()?;
        files
            .get(idx)
            .filter(|f| f.start <= offset && offset < f.end())
            .cloned()
    }

    /// Oldest file.
    pub(crate) fn first(&self) -> Option<MappedFile> {
        self.files.read().first().cloned()
    }

    /// Newest file.
    pub(crate) fn last(&self) -> Option<MappedFile> {
        self.files.read().last().cloned()
    }

    /// Snapshot of the file list.
    pub(crate) fn snapshot(&self) -> Vec<MappedFile> {
        self.files.read().clone()
    }

    /// Number of files.
    pub(crate) fn len(&self) -> usize {
        self.files.read().len()
    }

    /// Unlists and deletes the oldest file if it starts at `start` and is not the only (newest,
    /// written) file; returns whether it did. Readers holding its mapping (`Bytes`, a cloned
    /// [`MappedFile`]) keep reading it: unlinking only frees the blocks once they let go.
    pub(crate) fn remove_first(&self, start: i64) -> Result<bool, StoreError> {
        let removed = {
            let mut files = self.files.write();
            if files.len() < 2 || files.first().is_none_or(|f| f.start != start) {
                return Ok(false);
            }
            files.remove(0)
        };
        let path = removed.region.path();
        match std::fs::remove_file(path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
            Err(e) => Err(StoreError::io(path, e)),
        }
    }

    /// Unlists and deletes every file starting at or after `start`.
    pub(crate) fn delete_from(&self, start: i64) -> Result<(), StoreError> {
        let mut files = self.files.write();
        while files.last().is_some_and(|f| f.start >= start) {
            if let Some(f) = files.pop() {
                let path = f.region.path().to_path_buf();
                std::fs::remove_file(&path).map_err(|e| StoreError::io(&path, e))?;
                tracing::info!(path = %path.display(), "deleted file past the recovered end");
            }
        }
        Ok(())
    }
}

/// Creates and maps `dir/<start>` of `size` bytes.
pub(crate) fn create_file(
    dir: &Path,
    start: i64,
    size: usize,
) -> Result<(MappedFile, RegionWriter), StoreError> {
    let path = dir.join(file_name(start));
    let (region, writer) = MappedRegion::open(&path, size).map_err(|e| StoreError::io(&path, e))?;
    Ok((MappedFile { start, region }, writer))
}
