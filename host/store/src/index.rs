//! Index files (4.4): hash index of `topic#key` -> commit-log offsets with a time range.
//!
//! ```text
//! header 40 B: beginTimestamp i64 | endTimestamp i64 | beginPhyOffset i64 | endPhyOffset i64
//!              | hashSlotCount i32 | indexCount i32 (starts at 1)
//! slots:       maxHashSlotNum x i32 (newest entry index in the bucket, 0 = empty)
//! entries 20B: keyHash i32 | phyOffset i64 | timeDiff i32 (s) | prevIndex i32
//! ```
//! Written by dispatch only. Slots are updated in place, so each file sits behind a `RwLock`
//! around its [`RegionWriter`]: writes take it exclusively, queries share it.

use crate::error::StoreError;
use crate::mmap::{MappedRegion, RegionWriter};
use parking_lot::RwLock;
use std::path::{Path, PathBuf};
use wasmq_protocol::message::java_string_hash;

const HEADER: usize = 40;
const SLOT: usize = 4;
const ENTRY: usize = 20;

/// Index key hash: `abs(String.hashCode)`, 0 when the hash is `i32::MIN`.
pub(crate) fn key_hash(key: &str) -> i32 {
    java_string_hash(key).checked_abs().unwrap_or(0)
}

/// Header fields.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct IndexHeader {
    pub(crate) begin_timestamp: i64,
    pub(crate) end_timestamp: i64,
    pub(crate) begin_phy_offset: i64,
    pub(crate) end_phy_offset: i64,
    pub(crate) hash_slot_count: i32,
    pub(crate) index_count: i32,
}

/// One index file.
#[derive(Debug)]
pub(crate) struct IndexFile {
    path: PathBuf,
    slots: u32,
    max_index: u32,
    w: RegionWriter,
}

fn rd_i32(b: &[u8], at: usize) -> i32 {
    b.get(at..at + 4)
        .and_then(|s| s.try_into().ok())
        .map_or(0, i32::from_be_bytes)
}

fn rd_i64(b: &[u8], at: usize) -> i64 {
    b.get(at..at + 8)
        .and_then(|s| s.try_into().ok())
        .map_or(0, i64::from_be_bytes)
}

impl IndexFile {
    /// Size in bytes of an index file.
    pub(crate) fn file_size(slots: u32, max_index: u32) -> usize {
        HEADER + slots as usize * SLOT + max_index as usize * ENTRY
    }

    /// Opens or creates an index file.
    pub(crate) fn open(path: &Path, slots: u32, max_index: u32) -> Result<IndexFile, StoreError> {
        let (_region, w): (_, RegionWriter) =
            MappedRegion::open(path, Self::file_size(slots, max_index))
                .map_err(|e| StoreError::io(path, e))?;
        let mut f = IndexFile {
            path: path.to_path_buf(),
            slots,
            max_index,
            w,
        };
        if f.header().index_count <= 0 {
            let mut h = f.header();
            h.index_count = 1;
            f.write_header(&h);
        }
        Ok(f)
    }

    /// Path.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Header.
    pub(crate) fn header(&self) -> IndexHeader {
        let b = self.w.read_any(0, HEADER).unwrap_or(&[]);
        IndexHeader {
            begin_timestamp: rd_i64(b, 0),
            end_timestamp: rd_i64(b, 8),
            begin_phy_offset: rd_i64(b, 16),
            end_phy_offset: rd_i64(b, 24),
            hash_slot_count: rd_i32(b, 32),
            index_count: rd_i32(b, 36),
        }
    }

    fn write_header(&mut self, h: &IndexHeader) {
        if let Some(b) = self.w.unpublished_mut(0, HEADER) {
            b[0..8].copy_from_slice(&h.begin_timestamp.to_be_bytes());
            b[8..16].copy_from_slice(&h.end_timestamp.to_be_bytes());
            b[16..24].copy_from_slice(&h.begin_phy_offset.to_be_bytes());
            b[24..32].copy_from_slice(&h.end_phy_offset.to_be_bytes());
            b[32..36].copy_from_slice(&h.hash_slot_count.to_be_bytes());
            b[36..40].copy_from_slice(&h.index_count.to_be_bytes());
        }
    }

    /// Whether no more entries fit.
    pub(crate) fn is_full(&self) -> bool {
        self.header().index_count as u32 >= self.max_index
    }

    /// Adds `key` -> `phy_offset` (`IndexFile.putKey`); false when full.
    pub(crate) fn put_key(&mut self, key: &str, phy_offset: i64, store_ts: i64) -> bool {
        let mut h = self.header();
        if h.index_count as u32 >= self.max_index {
            return false;
        }
        let hash = key_hash(key);
        let slot_pos = HEADER + (hash as u32 % self.slots) as usize * SLOT;
        let mut slot_value = self.w.read_any(slot_pos, SLOT).map_or(0, |b| rd_i32(b, 0));
        if slot_value <= 0 || slot_value > h.index_count {
            slot_value = 0;
        }
        let mut time_diff = if h.begin_timestamp <= 0 {
            0
        } else {
            (store_ts - h.begin_timestamp) / 1000
        };
        time_diff = time_diff.clamp(0, i64::from(i32::MAX));
        let entry_pos = HEADER + self.slots as usize * SLOT + h.index_count as usize * ENTRY;
        if let Some(b) = self.w.unpublished_mut(entry_pos, ENTRY) {
            b[0..4].copy_from_slice(&hash.to_be_bytes());
            b[4..12].copy_from_slice(&phy_offset.to_be_bytes());
            b[12..16].copy_from_slice(&(time_diff as i32).to_be_bytes());
            b[16..20].copy_from_slice(&slot_value.to_be_bytes());
        }
        if let Some(b) = self.w.unpublished_mut(slot_pos, SLOT) {
            b.copy_from_slice(&h.index_count.to_be_bytes());
        }
        if h.index_count <= 1 {
            h.begin_phy_offset = phy_offset;
            h.begin_timestamp = store_ts;
        }
        if slot_value == 0 {
            h.hash_slot_count += 1;
        }
        h.index_count += 1;
        h.end_phy_offset = phy_offset;
        h.end_timestamp = store_ts;
        self.write_header(&h);
        true
    }

    /// Commit-log offset of the newest entry in `key`'s bucket if that entry is for `key`'s hash.
    pub(crate) fn newest_offset_for(&self, key: &str) -> Option<i64> {
        let h = self.header();
        let hash = key_hash(key);
        let slot_pos = HEADER + (hash as u32 % self.slots) as usize * SLOT;
        let idx = self.w.read_any(slot_pos, SLOT).map(|b| rd_i32(b, 0))?;
        if idx <= 0 || idx >= h.index_count {
            return None;
        }
        let b = self.w.read_any(
            HEADER + self.slots as usize * SLOT + idx as usize * ENTRY,
            ENTRY,
        )?;
        (rd_i32(b, 0) == hash).then(|| rd_i64(b, 4))
    }

    /// Whether the file's time range meets `[begin, end]`.
    pub(crate) fn time_matched(&self, begin: i64, end: i64) -> bool {
        let h = self.header();
        (begin < h.begin_timestamp && end > h.end_timestamp)
            || (begin >= h.begin_timestamp && begin <= h.end_timestamp)
            || (end >= h.begin_timestamp && end <= h.end_timestamp)
    }

    /// Offsets of entries for `key` stored within `[begin, end]`, newest first, appended to `out`
    /// up to `max` (`IndexFile.selectPhyOffset`).
    pub(crate) fn select(&self, key: &str, max: usize, begin: i64, end: i64, out: &mut Vec<i64>) {
        let h = self.header();
        let hash = key_hash(key);
        let slot_pos = HEADER + (hash as u32 % self.slots) as usize * SLOT;
        let mut next = self.w.read_any(slot_pos, SLOT).map_or(0, |b| rd_i32(b, 0));
        if next <= 0 || next > h.index_count || h.index_count <= 1 {
            return;
        }
        let mut steps = 0;
        while out.len() < max && steps < h.index_count {
            steps += 1;
            let pos = HEADER + self.slots as usize * SLOT + next as usize * ENTRY;
            let Some(b) = self.w.read_any(pos, ENTRY) else {
                break;
            };
            let (eh, phy, diff, prev) = (rd_i32(b, 0), rd_i64(b, 4), rd_i32(b, 12), rd_i32(b, 16));
            if diff < 0 {
                break;
            }
            let t = h.begin_timestamp + i64::from(diff) * 1000;
            if eh == hash && t >= begin && t <= end {
                out.push(phy);
            }
            if prev <= 0 || prev > h.index_count || prev == next || t < begin {
                break;
            }
            next = prev;
        }
    }

    /// msync of the whole file.
    pub(crate) fn flush(&self) -> std::io::Result<()> {
        self.w.region().flush_range(0, self.w.region().len())
    }
}

/// All index files, oldest first.
#[derive(Debug)]
pub(crate) struct IndexService {
    dir: PathBuf,
    slots: u32,
    max_index: u32,
    files: RwLock<Vec<RwLock<IndexFile>>>,
}

/// `yyyyMMddHHmmssSSS` (UTC) of a ms timestamp.
pub(crate) fn time_file_name(ms: i64) -> String {
    let (days, rem) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    // Civil-from-days (Howard Hinnant).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let (h, mi, s, milli) = (
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000,
    );
    format!("{y:04}{m:02}{d:02}{h:02}{mi:02}{s:02}{milli:03}")
}

impl IndexService {
    /// Loads the index files of `dir`. Files whose entries reach past `cl_end` (a torn
    /// commit-log tail) are deleted; returns the service and the smallest commit-log offset
    /// that must be re-indexed because of it (`i64::MAX` if none).
    pub(crate) fn load(
        dir: &Path,
        slots: u32,
        max_index: u32,
        cl_end: i64,
    ) -> Result<(IndexService, i64), StoreError> {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::io(dir, e))?;
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .map_err(|e| StoreError::io(dir, e))?
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.len() == 17 && n.bytes().all(|b| b.is_ascii_digit()))
            .collect();
        names.sort();
        let mut files = Vec::new();
        let mut redo_from = i64::MAX;
        let mut dropping = false;
        for n in names {
            let path = dir.join(&n);
            let f = IndexFile::open(&path, slots, max_index)?;
            let h = f.header();
            if dropping || h.end_phy_offset >= cl_end && h.index_count > 1 {
                tracing::warn!(path = %path.display(), "index file reaches past the recovered commit log; rebuilding it");
                redo_from = redo_from.min(h.begin_phy_offset);
                dropping = true;
                drop(f);
                std::fs::remove_file(&path).map_err(|e| StoreError::io(&path, e))?;
                continue;
            }
            files.push(RwLock::new(f));
        }
        Ok((
            IndexService {
                dir: dir.to_path_buf(),
                slots,
                max_index,
                files: RwLock::new(files),
            },
            redo_from,
        ))
    }

    /// Highest commit-log offset already indexed (`endPhyOffset` of the newest file), -1 if none.
    pub(crate) fn end_phy_offset(&self) -> i64 {
        let files = self.files.read();
        // The newest file may have been created (header only) just before a crash.
        files
            .iter()
            .rev()
            .map(|f| f.read().header())
            .find(|h| h.index_count > 1)
            .map_or(-1, |h| h.end_phy_offset)
    }

    /// Indexes the keys of the record at `phy_offset`. Records below the newest indexed one are
    /// skipped (re-dispatch after recovery); for the newest one itself, keys already present
    /// (a crash between two keys of one record) are skipped individually.
    pub(crate) fn build(
        &self,
        keys: &[String],
        phy_offset: i64,
        store_ts: i64,
    ) -> Result<(), StoreError> {
        let end = self.end_phy_offset();
        if keys.is_empty() || phy_offset < end {
            return Ok(());
        }
        let resume = phy_offset == end;
        let mut files = self.files.write();
        for key in keys {
            if resume
                && files
                    .iter()
                    .rev()
                    .take(2)
                    .any(|f| f.read().newest_offset_for(key) == Some(phy_offset))
            {
                continue;
            }
            let full = files.last().is_none_or(|f| f.read().is_full());
            if full {
                let f = IndexFile::open(
                    &self.dir.join(self.next_name(&files)),
                    self.slots,
                    self.max_index,
                )?;
                files.push(RwLock::new(f));
            }
            if let Some(f) = files.last() {
                f.write().put_key(key, phy_offset, store_ts);
            }
        }
        Ok(())
    }

    /// A file name (creation time) later than every existing one.
    fn next_name(&self, files: &[RwLock<IndexFile>]) -> String {
        let mut ms = crate::commit_log::now_ms();
        loop {
            let name = time_file_name(ms);
            let newer = files.last().is_none_or(|f| {
                f.read()
                    .path()
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|last| name.as_str() > last)
            });
            if newer && !self.dir.join(&name).exists() {
                return name;
            }
            ms += 1;
        }
    }

    /// Commit-log offsets of records indexed under `key` within `[begin, end]`, newest first;
    /// plus (endTimestamp, endPhyOffset) of the newest file.
    pub(crate) fn query(
        &self,
        key: &str,
        max: usize,
        begin: i64,
        end: i64,
    ) -> (Vec<i64>, i64, i64) {
        let files = self.files.read();
        let mut out = Vec::new();
        let (mut last_ts, mut last_phy) = (0, 0);
        for (i, f) in files.iter().enumerate().rev() {
            let f = f.read();
            if i + 1 == files.len() {
                let h = f.header();
                last_ts = h.end_timestamp;
                last_phy = h.end_phy_offset;
            }
            if f.time_matched(begin, end) {
                f.select(key, max, begin, end, &mut out);
            }
            if out.len() >= max {
                break;
            }
        }
        (out, last_ts, last_phy)
    }

    /// Flushes every file.
    pub(crate) fn flush(&self) -> std::io::Result<()> {
        for f in self.files.read().iter() {
            f.read().flush()?;
        }
        Ok(())
    }

    /// Number of files.
    pub(crate) fn len(&self) -> usize {
        self.files.read().len()
    }

    /// Deletes the files (never the newest) whose entries all point below `min_phy`
    /// (`endPhyOffset < min_phy`), oldest first; returns how many. Queries hold the list's read
    /// lock while they read a file, so none is reading a file this unlists.
    pub(crate) fn delete_files_below(&self, min_phy: i64) -> Result<usize, StoreError> {
        let removed: Vec<PathBuf> = {
            let mut files = self.files.write();
            let keep_from = files
                .iter()
                .take(files.len().saturating_sub(1))
                .position(|f| f.read().header().end_phy_offset >= min_phy)
                .unwrap_or(files.len().saturating_sub(1));
            files
                .drain(..keep_from)
                .map(|f| f.into_inner().path().to_path_buf())
                .collect()
        };
        for path in &removed {
            match std::fs::remove_file(path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(StoreError::io(path, e)),
            }
        }
        Ok(removed.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_civil_time() {
        assert_eq!(time_file_name(0), "19700101000000000");
        // 2026-11-25T12:34:56.789Z
        assert_eq!(time_file_name(1_795_610_096_789), "20261125123456789");
    }

    #[test]
    fn put_select_and_reopen() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("20260101000000000");
        let mut f = IndexFile::open(&path, 7, 16).expect("open");
        for i in 0..10 {
            assert!(f.put_key(&format!("T#k{}", i % 3), i * 100, 1_000_000 + i * 1000));
        }
        let mut out = Vec::new();
        f.select("T#k1", 10, 0, i64::MAX, &mut out);
        assert_eq!(out, vec![700, 400, 100]);
        out.clear();
        f.select("T#k1", 10, 1_000_000, 1_005_000, &mut out);
        assert_eq!(out, vec![400, 100]);
        drop(f);
        let mut f = IndexFile::open(&path, 7, 16).expect("reopen");
        assert_eq!(f.header().index_count, 11);
        for i in 10..15 {
            assert!(f.put_key("T#x", i, 2_000_000));
        }
        assert!(f.is_full());
        assert!(!f.put_key("T#x", 99, 2_000_000));
    }
}
