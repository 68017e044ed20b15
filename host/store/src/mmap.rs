//! The store's only `unsafe`: shared file mappings with one writer and published read ranges.
//!
//! Invariant that makes the raw accesses sound: a region has exactly one [`RegionWriter`]
//! (created together with it, not `Clone`). Bytes `[0, published)` are immutable and may be read
//! by anyone; bytes `[published, len)` are touched only through the writer. `published` only
//! grows (Release store after the bytes are written; Acquire load by readers), so a reader never
//! observes a byte that is still being written. The store directory is owned by this process
//! (nothing else truncates or writes the files while mapped).
#![allow(unsafe_code)]

use bytes::Bytes;
use memmap2::{Advice, MmapOptions, MmapRaw};
use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Page size used for pre-faulting and dirty-page accounting.
pub(crate) const PAGE_SIZE: usize = 4096;

/// A fixed-size file mapped `MAP_SHARED` for reading and writing.
#[derive(Debug)]
pub(crate) struct MappedRegion {
    map: MmapRaw,
    len: usize,
    published: AtomicUsize,
    path: PathBuf,
    _file: File,
}

/// The unique write handle of a [`MappedRegion`].
#[derive(Debug)]
pub(crate) struct RegionWriter {
    region: Arc<MappedRegion>,
}

impl MappedRegion {
    /// Opens (creating and sizing if needed) `path` with exactly `len` bytes and maps it.
    /// A new file is `fallocate`d so later page faults do not allocate blocks. The size reaches
    /// the disk with the first msync (fdatasync semantics); the directory entry is the
    /// caller's (see `mapped_file_queue::create_file`).
    pub(crate) fn open(path: &Path, len: usize) -> io::Result<(Arc<MappedRegion>, RegionWriter)> {
        if len == 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "zero-length mapping",
            ));
        }
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        let cur = file.metadata()?.len();
        if cur != len as u64 {
            if cur > len as u64 {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{} is {cur} bytes, expected {len}", path.display()),
                ));
            }
            // A file we create (or found empty: a crash right after creation) is removed again
            // if it cannot get its blocks, so a full disk leaves no sparse file behind whose
            // mapping would SIGBUS on first write.
            let undo = |e: io::Error| {
                if cur == 0 {
                    let _ = std::fs::remove_file(path);
                }
                e
            };
            file.set_len(len as u64).map_err(undo)?;
            // Reserve the blocks now (rustix's safe `fallocate`, mode 0 = posix_fallocate's
            // allocation), so a full disk is an error here and not a SIGBUS in a later write.
            match rustix::fs::fallocate(&file, rustix::fs::FallocateFlags::empty(), 0, len as u64) {
                Ok(()) => {}
                Err(e) if e == rustix::io::Errno::NOSPC || e == rustix::io::Errno::DQUOT => {
                    return Err(undo(e.into()));
                }
                // E.g. a filesystem without fallocate: only the optimisation is lost.
                Err(e) => {
                    tracing::debug!(path = %path.display(), error = %e, "fallocate failed; file stays sparse");
                }
            }
        }
        let map = MmapOptions::new().len(len).map_raw(&file)?;
        let region = Arc::new(MappedRegion {
            map,
            len,
            published: AtomicUsize::new(0),
            path: path.to_path_buf(),
            _file: file,
        });
        let writer = RegionWriter {
            region: Arc::clone(&region),
        };
        Ok((region, writer))
    }

    /// Mapping length (file size).
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// File path.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes `[0, published)` are readable.
    pub(crate) fn published(&self) -> usize {
        self.published.load(Ordering::Acquire)
    }

    /// Published bytes `[off, off + len)`, or `None` if any of them is not published.
    pub(crate) fn slice(&self, off: usize, len: usize) -> Option<&[u8]> {
        let end = off.checked_add(len)?;
        if end > self.published() {
            return None;
        }
        // SAFETY: `end <= published <= self.len`, so the range lies inside the live mapping
        // (kept alive by `&self`). Published bytes are never written again (the writer can only
        // write at or after `published`) and the Acquire load above synchronises with the
        // writer's Release store, so the bytes are initialised and immutable for the borrow.
        Some(unsafe { std::slice::from_raw_parts(self.map.as_ptr().add(off), len) })
    }

    /// A zero-copy `Bytes` over published bytes; keeps the mapping alive.
    pub(crate) fn bytes(self: &Arc<Self>, off: usize, len: usize) -> Option<Bytes> {
        self.slice(off, len)?;
        Some(Bytes::from_owner(RegionSlice {
            region: Arc::clone(self),
            off,
            len,
        }))
    }

    /// `msync(MS_SYNC)` of `[off, off + len)`.
    pub(crate) fn flush_range(&self, off: usize, len: usize) -> io::Result<()> {
        if len == 0 {
            return Ok(());
        }
        self.map.flush_range(off, len)
    }
}

/// Owner of a published range, for `Bytes::from_owner`.
struct RegionSlice {
    region: Arc<MappedRegion>,
    off: usize,
    len: usize,
}

impl AsRef<[u8]> for RegionSlice {
    fn as_ref(&self) -> &[u8] {
        // Checked published at construction; `published` never shrinks.
        self.region.slice(self.off, self.len).unwrap_or(&[])
    }
}

impl RegionWriter {
    /// The region this writer writes.
    pub(crate) fn region(&self) -> &Arc<MappedRegion> {
        &self.region
    }

    /// Unpublished bytes `[off, off + len)` for writing; `None` if the range touches published
    /// bytes or leaves the mapping.
    pub(crate) fn unpublished_mut(&mut self, off: usize, len: usize) -> Option<&mut [u8]> {
        let end = off.checked_add(len)?;
        if off < self.region.published() || end > self.region.len {
            return None;
        }
        // SAFETY: the range is inside the mapping and at or after `published`; readers only
        // access `[0, published)` and this writer is the only handle that can produce a mutable
        // slice (it is unique and borrowed mutably here), so the slice is not aliased. The
        // mapping outlives the borrow (`self.region` is an `Arc`).
        Some(unsafe { std::slice::from_raw_parts_mut(self.region.map.as_mut_ptr().add(off), len) })
    }

    /// Any bytes `[off, off + len)` (published or not), e.g. for recovery scans.
    pub(crate) fn read_any(&self, off: usize, len: usize) -> Option<&[u8]> {
        let end = off.checked_add(len)?;
        if end > self.region.len {
            return None;
        }
        // SAFETY: inside the mapping. Published bytes are immutable; unpublished bytes are only
        // written through `unpublished_mut(&mut self)`, which cannot run while this `&self`
        // borrow lives.
        Some(unsafe { std::slice::from_raw_parts(self.region.map.as_ptr().add(off), len) })
    }

    /// Makes `[0, pos)` readable; `pos` must not be below the current published position.
    pub(crate) fn publish(&mut self, pos: usize) {
        let cur = self.region.published();
        debug_assert!(
            pos >= cur && pos <= self.region.len,
            "publish {pos} (cur {cur})"
        );
        let pos = pos.clamp(cur, self.region.len);
        self.region.published.store(pos, Ordering::Release);
    }

    /// Pre-faults the unpublished part writable (`MADV_POPULATE_WRITE`, else touching one byte a
    /// page) so later appends do not take first-touch page faults.
    pub(crate) fn prefault(&mut self) {
        let start = self.region.published().next_multiple_of(PAGE_SIZE);
        if start >= self.region.len || self.region.populate_write(start).is_ok() {
            return;
        }
        let len = self.region.len - start;
        if let Some(buf) = self.unpublished_mut(start, len) {
            for page in buf.chunks_mut(PAGE_SIZE) {
                if let Some(b) = page.first_mut() {
                    // Rewriting the existing byte dirties the page; black_box keeps the store.
                    *b = std::hint::black_box(*b);
                }
            }
        }
    }
}

impl MappedRegion {
    /// `MADV_POPULATE_WRITE` of `[from, len)` in 2 MiB steps (so the mm lock is released
    /// between steps and page faults of the appender are not stalled behind it). Contents are
    /// not changed, so this may run concurrently with the writer.
    pub(crate) fn populate_write(&self, from: usize) -> io::Result<()> {
        self.populate_write_range(from, self.len)
    }

    /// `MADV_POPULATE_WRITE` of `[from, to)` (clamped to the mapping), in 2 MiB steps.
    pub(crate) fn populate_write_range(&self, from: usize, to: usize) -> io::Result<()> {
        const STEP: usize = 2 * 1024 * 1024;
        let to = to.min(self.len);
        let mut off = from - from % PAGE_SIZE;
        while off < to {
            let len = STEP.min(to - off);
            self.map.advise_range(Advice::PopulateWrite, off, len)?;
            off += len;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_publish_read_and_bytes_outlive_writer() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("f");
        let (region, mut w) = MappedRegion::open(&path, 8192).expect("open");
        w.prefault();
        assert_eq!(region.slice(0, 1), None, "nothing published yet");
        w.unpublished_mut(0, 5)
            .expect("range")
            .copy_from_slice(b"hello");
        w.publish(5);
        assert_eq!(region.slice(0, 5), Some(&b"hello"[..]));
        assert_eq!(region.slice(0, 6), None);
        assert!(
            w.unpublished_mut(4, 1).is_none(),
            "published bytes are immutable"
        );
        assert!(w.unpublished_mut(8190, 3).is_none(), "past the end");
        let b = region.bytes(1, 4).expect("bytes");
        drop(w);
        drop(region);
        assert_eq!(&b[..], b"ello");
        region_flush_and_reopen(&path);
    }

    fn region_flush_and_reopen(path: &Path) {
        let (region, w) = MappedRegion::open(path, 8192).expect("reopen");
        assert_eq!(w.read_any(0, 5), Some(&b"hello"[..]));
        assert!(region.flush_range(0, 8192).is_ok());
        assert!(
            MappedRegion::open(path, 4096).is_err(),
            "shrinking is refused"
        );
    }
}
