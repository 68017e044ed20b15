//! Consume queue of one topic/queue: 20-byte units (commit-log offset i64, size i32, tags code
//! i64) in files of `mappedFileSizeConsumeQueue` bytes, written only by dispatch.

use crate::error::StoreError;
use crate::mapped_file_queue::{MappedFile, MappedFileQueue};
use crate::mmap::RegionWriter;
use parking_lot::Mutex;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};

/// Bytes per unit.
pub(crate) const CQ_UNIT: usize = 20;
/// Filler unit size (queues that start at a non-zero index).
const FILLER_SIZE: i32 = i32::MAX;

/// One consume-queue unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CqEntry {
    pub(crate) phy_offset: i64,
    pub(crate) size: i32,
    pub(crate) tags_code: i64,
}

impl CqEntry {
    pub(crate) fn encode(&self) -> [u8; CQ_UNIT] {
        let mut b = [0u8; CQ_UNIT];
        b[..8].copy_from_slice(&self.phy_offset.to_be_bytes());
        b[8..12].copy_from_slice(&self.size.to_be_bytes());
        b[12..].copy_from_slice(&self.tags_code.to_be_bytes());
        b
    }

    pub(crate) fn decode(b: &[u8]) -> Option<CqEntry> {
        Some(CqEntry {
            phy_offset: i64::from_be_bytes(b.get(..8)?.try_into().ok()?),
            size: i32::from_be_bytes(b.get(8..12)?.try_into().ok()?),
            tags_code: i64::from_be_bytes(b.get(12..20)?.try_into().ok()?),
        })
    }

    /// A filler unit (padding before the first real unit).
    pub(crate) fn is_filler(&self) -> bool {
        self.phy_offset == 0 && self.size == FILLER_SIZE
    }

    fn filler() -> CqEntry {
        CqEntry {
            phy_offset: 0,
            size: FILLER_SIZE,
            tags_code: 0,
        }
    }
}

/// The consume queue of one topic/queue.
#[derive(Debug)]
pub(crate) struct ConsumeQueue {
    files: MappedFileQueue,
    writer: Mutex<Option<RegionWriter>>,
    flushed: AtomicI64,
    max_phy_end: AtomicI64,
    /// Logical floor set by clean-up (commit-log data gone) and topic retention; only grows.
    min_logic: AtomicI64,
}

/// Directory of a queue.
pub(crate) fn queue_dir(root: &Path, topic: &str, queue_id: i32) -> PathBuf {
    root.join(topic).join(queue_id.to_string())
}

impl ConsumeQueue {
    /// Loads (or starts empty) the queue in `dir`, keeping only units that point below `cl_end`
    /// (a torn commit-log tail truncates the queue too); stale bytes past the end are zeroed.
    pub(crate) fn load(
        dir: &Path,
        file_size: usize,
        cl_end: i64,
    ) -> Result<ConsumeQueue, StoreError> {
        let file_size = file_size / CQ_UNIT * CQ_UNIT;
        let (files, writers) = MappedFileQueue::load(dir, file_size)?;
        let snapshot = files.snapshot();
        let scan_from = snapshot.len().saturating_sub(3);
        let mut last_writer = None;
        let mut max_phy_end = 0;
        let mut cut: Option<i64> = None;
        for (i, (f, mut w)) in snapshot.iter().zip(writers).enumerate() {
            if cut.is_some() {
                break;
            }
            let mut end = file_size;
            if i >= scan_from {
                let mut pos = 0;
                while pos < file_size {
                    let e = w.read_any(pos, CQ_UNIT).and_then(CqEntry::decode);
                    match e {
                        Some(e) if e.is_filler() => {}
                        Some(e)
                            if e.phy_offset >= 0
                                && e.size > 0
                                && e.phy_offset + i64::from(e.size) <= cl_end =>
                        {
                            max_phy_end = max_phy_end.max(e.phy_offset + i64::from(e.size));
                        }
                        _ => break,
                    }
                    pos += CQ_UNIT;
                }
                end = pos;
            }
            if end < file_size {
                zero_unpublished_tail(&mut w, end, dir)?;
                cut = Some(f.start + file_size as i64);
            }
            w.publish(end);
            last_writer = Some(w);
        }
        if let Some(c) = cut {
            files.delete_from(c)?;
        }
        let flushed = files.last().map_or(0, |f| f.published_end());
        Ok(ConsumeQueue {
            files,
            writer: Mutex::new(last_writer),
            flushed: AtomicI64::new(flushed),
            max_phy_end: AtomicI64::new(max_phy_end),
            min_logic: AtomicI64::new(0),
        })
    }

    /// Next logical offset (= number of units incl. fillers).
    pub(crate) fn max_offset(&self) -> i64 {
        self.files
            .last()
            .map_or(0, |f| f.published_end() / CQ_UNIT as i64)
    }

    /// First logical offset still reachable: the first non-filler unit of the first file, or
    /// the floor set by [`correct_min_offset`](Self::correct_min_offset) /
    /// [`raise_min_offset`](Self::raise_min_offset) if higher (never above the max).
    pub(crate) fn min_offset(&self) -> i64 {
        let Some(f) = self.files.first() else {
            return 0;
        };
        let max = self.max_offset();
        let mut idx = (f.start / CQ_UNIT as i64).max(self.min_logic.load(Ordering::Acquire));
        while idx < max && self.entry(idx).is_some_and(|e| e.is_filler()) {
            idx += 1;
        }
        idx.min(max)
    }

    /// Raises the logical floor to `idx` (clamped to the max); never lowers it.
    pub(crate) fn raise_min_offset(&self, idx: i64) {
        self.min_logic
            .fetch_max(idx.min(self.max_offset()), Ordering::AcqRel);
    }

    /// First logical offset in `[min, max)` whose unit satisfies `keep` (`max` if none), for a
    /// predicate that is false then true along the queue (binary search). Fillers and units
    /// that cannot be read (file deleted) count as not kept.
    pub(crate) fn first_kept(&self, keep: impl Fn(&CqEntry) -> bool) -> i64 {
        let (mut lo, mut hi) = (self.min_offset(), self.max_offset());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.entry(mid).is_some_and(|e| !e.is_filler() && keep(&e)) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        lo
    }

    /// `correctMinOffset`: the floor becomes the first unit whose record is at or after the
    /// commit log's min offset `min_phy` (the max if every unit points below it: the queue's
    /// data is all gone). Units are in commit-log order, so this is a binary search.
    pub(crate) fn correct_min_offset(&self, min_phy: i64) {
        let idx = self.first_kept(|e| e.phy_offset >= min_phy);
        self.raise_min_offset(idx);
    }

    /// Deletes the files (never the newest) whose last unit points below `min_phy`
    /// (`deleteExpiredFileByOffset`), oldest first; returns how many.
    pub(crate) fn delete_files_below(&self, min_phy: i64) -> Result<usize, StoreError> {
        let mut n = 0;
        for f in self.files.snapshot() {
            let len = f.region.len();
            let last = len
                .checked_sub(CQ_UNIT)
                .and_then(|at| f.region.slice(at, CQ_UNIT))
                .and_then(CqEntry::decode);
            match last {
                Some(e) if e.phy_offset < min_phy || e.is_filler() => {}
                _ => break,
            }
            if !self.files.remove_first(f.start)? {
                break;
            }
            n += 1;
        }
        Ok(n)
    }

    /// End (offset + size) of the newest unit's record.
    pub(crate) fn max_phy_end(&self) -> i64 {
        self.max_phy_end.load(Ordering::Acquire)
    }

    /// The unit at a logical offset.
    pub(crate) fn entry(&self, idx: i64) -> Option<CqEntry> {
        let pos = idx.checked_mul(CQ_UNIT as i64)?;
        let f = self.files.find(pos)?;
        f.region
            .slice(usize::try_from(pos - f.start).ok()?, CQ_UNIT)
            .and_then(CqEntry::decode)
    }

    /// The file holding logical offset `idx` and the published byte range from it to the end of
    /// that file (`getIndexBuffer`).
    pub(crate) fn units_from(&self, idx: i64) -> Option<(MappedFile, usize, usize)> {
        let pos = idx.checked_mul(CQ_UNIT as i64)?;
        let f = self.files.find(pos)?;
        let off = usize::try_from(pos - f.start).ok()?;
        let end = f.region.published();
        (off < end).then_some((f, off, end))
    }

    /// Logical offset of the first unit of the file after the one holding `idx`.
    pub(crate) fn roll_next_file(&self, idx: i64) -> i64 {
        let per_file = (self.files.file_size() / CQ_UNIT) as i64;
        idx + per_file - idx % per_file
    }

    /// Writes the unit for `queue_offset` (dispatch only). Already-present units are skipped
    /// (re-dispatch after recovery); a gap is padded with fillers and logged.
    pub(crate) fn put(&self, queue_offset: i64, e: CqEntry) -> Result<bool, StoreError> {
        let mut w = self.writer.lock();
        let max = self.max_offset();
        if queue_offset < max {
            return Ok(false);
        }
        if queue_offset > max {
            if self.files.len() > 0 {
                tracing::warn!(dir = %self.files.dir().display(), expected = max, got = queue_offset,
                    "consume queue gap; padding with fillers");
            }
            let mut next = max;
            if self.files.len() == 0 {
                let per_file = (self.files.file_size() / CQ_UNIT) as i64;
                next = queue_offset / per_file * per_file;
            }
            while next < queue_offset {
                self.append_unit(&mut w, next, CqEntry::filler())?;
                next += 1;
            }
        }
        self.append_unit(&mut w, queue_offset, e)?;
        self.max_phy_end
            .fetch_max(e.phy_offset + i64::from(e.size), Ordering::AcqRel);
        Ok(true)
    }

    fn append_unit(
        &self,
        w: &mut Option<RegionWriter>,
        idx: i64,
        e: CqEntry,
    ) -> Result<(), StoreError> {
        let pos = idx * CQ_UNIT as i64;
        let need_new = match self.files.last() {
            Some(f) => pos >= f.end(),
            None => true,
        };
        if need_new {
            let start = pos - pos % self.files.file_size() as i64;
            let (f, nw) = self.files.create(start)?;
            if let Some(old) = w.as_mut() {
                let len = old.region().len();
                old.publish(len);
            }
            self.files.push(f);
            *w = Some(nw);
        }
        let Some(writer) = w.as_mut() else {
            return Err(StoreError::ServiceNotAvailable(
                "consume queue without a writable file".into(),
            ));
        };
        let f_start = self.files.last().map_or(0, |f| f.start);
        let off = usize::try_from(pos - f_start).unwrap_or(usize::MAX);
        let Some(buf) = writer.unpublished_mut(off, CQ_UNIT) else {
            return Err(StoreError::Corrupt {
                path: writer.region().path().to_path_buf(),
                reason: format!("consume-queue unit {idx} not at the write position"),
            });
        };
        buf.copy_from_slice(&e.encode());
        writer.publish(off + CQ_UNIT);
        Ok(())
    }

    /// msync of units written since the last flush.
    pub(crate) fn flush(&self) -> std::io::Result<()> {
        let Some(last) = self.files.last() else {
            return Ok(());
        };
        let target = last.published_end();
        let mut cur = self.flushed.load(Ordering::Acquire);
        while cur < target {
            let Some(f) = self.files.find(cur) else { break };
            let end = target.min(f.end());
            f.region
                .flush_range((cur - f.start) as usize, (end - cur) as usize)?;
            cur = end;
        }
        self.flushed.store(target, Ordering::Release);
        Ok(())
    }

    /// Directory of the queue.
    pub(crate) fn dir(&self) -> &Path {
        self.files.dir()
    }

    /// Raw published bytes of every file (tests compare rebuilt queues).
    pub(crate) fn published_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for f in self.files.snapshot() {
            if let Some(s) = f.region.slice(0, f.region.published()) {
                out.extend_from_slice(s);
            }
        }
        out
    }
}

/// Zeroes the non-zero pages of `[from, len)` of an unpublished tail (stale bytes past a
/// recovered end must not resurface as valid data later).
pub(crate) fn zero_unpublished_tail(
    w: &mut RegionWriter,
    from: usize,
    dir: &Path,
) -> Result<(), StoreError> {
    let len = w.region().len();
    let Some(buf) = w.unpublished_mut(from, len - from) else {
        return Err(StoreError::Corrupt {
            path: dir.to_path_buf(),
            reason: "cannot zero stale tail".into(),
        });
    };
    for chunk in buf.chunks_mut(crate::mmap::PAGE_SIZE) {
        if chunk.iter().any(|&b| b != 0) {
            chunk.fill(0);
        }
    }
    Ok(())
}
