//! Commit-log recovery: validate records (magic, size, CRC, own offset) from a start file, cut
//! the log at the first invalid one (torn or garbled tail), zero stale bytes past it.
//!
//! Normal recovery (clean stop) scans from the third-last file; abnormal recovery (the `abort`
//! marker was left) starts from the newest file whose first record is older than the checkpoint
//! (minus 3 s), or the first file, and re-dispatches from there.

use crate::checkpoint::Checkpoint;
use crate::consume_queue::zero_unpublished_tail;
use crate::error::StoreError;
use crate::mapped_file_queue::{MappedFile, MappedFileQueue};
use crate::mmap::RegionWriter;
use std::path::Path;
use wasmq_protocol::message::RecordView;
use wasmq_protocol::message::record::BLANK_MAGIC_CODE;

/// The recovery mode `MessageStore::open` ran. Both truncate the commit log at the first
/// invalid record (bad magic/size/own offset/CRC: a torn or garbled tail) and zero what follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecoveryMode {
    /// Clean stop (no `abort`): validate the last three files; dispatch resumes where the
    /// consume queues end.
    Normal,
    /// Crash (`abort` left behind): validate from the newest file older than the checkpoint
    /// (or the first file) and re-dispatch from there, repairing consume queues and index.
    Abnormal,
}

/// The recovered commit log.
#[derive(Debug)]
pub(crate) struct RecoveredLog {
    pub(crate) files: MappedFileQueue,
    /// Writer of the last file.
    pub(crate) writer: RegionWriter,
    /// Offset past the last valid record.
    pub(crate) end: i64,
    /// Offset where the scan started (abnormal recovery re-dispatches from here).
    pub(crate) scan_start: i64,
    /// Bytes of invalid tail discarded (0 if the log ended cleanly).
    pub(crate) discarded: bool,
}

fn first_store_ts(w: &RegionWriter) -> Option<i64> {
    let len = w.region().len();
    let (v, _) = RecordView::decode(w.read_any(0, len)?, false).ok()?;
    Some(v.store_timestamp).filter(|&t| t > 0)
}

/// Recovers the commit log in `dir`.
pub(crate) fn recover_commit_log(
    dir: &Path,
    file_size: usize,
    kind: RecoveryMode,
    checkpoint: &Checkpoint,
    index_enabled: bool,
    check_crc: bool,
) -> Result<RecoveredLog, StoreError> {
    let (files, writers) = MappedFileQueue::load(dir, file_size)?;
    let snapshot = files.snapshot();
    if snapshot.is_empty() {
        let (f, w) = files.create(0)?;
        files.push(f);
        return Ok(RecoveredLog {
            files,
            writer: w,
            end: 0,
            scan_start: 0,
            discarded: false,
        });
    }
    let start_idx = match kind {
        RecoveryMode::Normal => snapshot.len().saturating_sub(3),
        RecoveryMode::Abnormal => {
            let min_ts = checkpoint.min_timestamp(index_enabled);
            writers
                .iter()
                .rposition(|w| first_store_ts(w).is_some_and(|t| t <= min_ts))
                .unwrap_or(0)
        }
    };
    let scan_start = snapshot.get(start_idx).map_or(0, |f| f.start);
    let mut end: Option<(usize, usize)> = None; // (file index, position)
    let mut discarded = false;
    let mut writers: Vec<Option<RegionWriter>> = writers.into_iter().map(Some).collect();
    for (i, f) in snapshot.iter().enumerate() {
        let Some(w) = writers.get_mut(i).and_then(Option::as_mut) else {
            continue;
        };
        if i < start_idx {
            w.publish(file_size);
            continue;
        }
        match scan_file(f, w, check_crc) {
            FileScan::Full => w.publish(file_size),
            FileScan::EndsAt { pos, clean } => {
                discarded = !clean;
                end = Some((i, pos));
                break;
            }
        }
    }
    let (end_idx, end_pos) = match end {
        Some(e) => e,
        None => {
            // Every file ends with a filler: continue in a fresh file.
            let next = snapshot.last().map_or(0, MappedFile::end);
            let (f, w) = files.create(next)?;
            files.push(f);
            writers.push(Some(w));
            (writers.len() - 1, 0)
        }
    };
    let Some(mut writer) = writers.get_mut(end_idx).and_then(Option::take) else {
        return Err(StoreError::Corrupt {
            path: dir.to_path_buf(),
            reason: "recovered file vanished".into(),
        });
    };
    zero_unpublished_tail(&mut writer, end_pos, dir)?;
    writer.publish(end_pos);
    let file_start = snapshot
        .get(end_idx)
        .map_or_else(|| files.last().map_or(0, |f| f.start), |f| f.start);
    drop(writers);
    files.delete_from(file_start + file_size as i64)?;
    let end = file_start + end_pos as i64;
    if discarded {
        tracing::warn!(
            end,
            "commit log had an invalid tail; truncated to the last valid record"
        );
    }
    tracing::info!(?kind, end, scan_start, "commit log recovered");
    Ok(RecoveredLog {
        files,
        writer,
        end,
        scan_start,
        discarded,
    })
}

enum FileScan {
    /// Valid records then a BLANK filler: the file is complete.
    Full,
    /// The log ends inside this file at `pos`; `clean` if what follows is all zeros.
    EndsAt { pos: usize, clean: bool },
}

fn scan_file(f: &MappedFile, w: &RegionWriter, check_crc: bool) -> FileScan {
    let len = w.region().len();
    let mut pos = 0usize;
    loop {
        let Some(rest) = w.read_any(pos, len - pos) else {
            return FileScan::EndsAt { pos, clean: true };
        };
        let magic = rest
            .get(4..8)
            .and_then(|b| b.try_into().ok())
            .map(u32::from_be_bytes);
        let size = rest
            .get(..4)
            .and_then(|b| b.try_into().ok())
            .map(i32::from_be_bytes);
        if magic == Some(BLANK_MAGIC_CODE)
            && size.and_then(|s| usize::try_from(s).ok()) == Some(len - pos)
        {
            return FileScan::Full;
        }
        match RecordView::decode(rest, check_crc) {
            Ok((v, n)) if v.physical_offset == f.start + pos as i64 && pos + n + 8 <= len => {
                pos += n
            }
            other => {
                let clean = rest.iter().take(64 * 1024).all(|&b| b == 0);
                if let Err(e) = other
                    && !clean
                {
                    tracing::warn!(file = %f.region.path().display(), pos, cause = %e, "invalid record");
                }
                return FileScan::EndsAt { pos, clean };
            }
        }
    }
}
