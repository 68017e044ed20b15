//! The clean-up service (`CleanCommitLogService` + `CleanConsumeQueueService`): disk
//! watermarks, deletion of expired commit-log files, removal of consume-queue and index files
//! below the commit log's min offset, per-topic retention; and its `MessageStore` methods.
//!
//! One pass (every `cleanResourceInterval` on its thread, or [`MessageStore::clean_now`]):
//! 1. Disk: the highest used ratio of the commit-log and consume-queue partitions. Above
//!    `diskSpaceWarningLevelRatio` the store is disk-full (puts refused) until a pass measures
//!    it at or below; above `diskSpaceCleanForciblyRatio` (with `cleanFileForciblyEnable`)
//!    deletion ignores `fileReservedTime`; above `diskMaxUsedSpaceRatio` (or unmeasurable)
//!    deletion runs at any hour.
//! 2. Commit log, if the local hour is in `deleteWhen`, or space demands it, or a manual
//!    trigger is pending (each trigger covers the next 20 passes, as Java): files are taken
//!    oldest first, never the newest (written) one nor one not yet dispatched and flushed; a
//!    file goes if its age basis (see [`ExpiringFile::last_modified_ms`]) plus
//!    `fileReservedTime` has passed or deletion is forced, unless the advisor decides
//!    otherwise; the first kept file ends the pass (files stay contiguous); at most 10 per
//!    pass, `deleteCommitLogFilesInterval` apart. Readers holding `Bytes` of a deleted file keep
//!    valid data: the mapping lives until the last reference drops.
//! 3. When the commit-log min offset moved: consume-queue files and index files wholly below
//!    it are deleted (never a queue's or the index's newest file) and every queue's min offset
//!    becomes its first unit at or above it.
//! 4. Per-topic retention (`retention` module).

use crate::cleanup::{CleanReport, CleanupEnv, Clock, DiskUsageProbe};
use crate::commit_log::CommitLog;
use crate::config::StoreConfig;
use crate::error::StoreError;
use crate::mapped_file_queue::MappedFile;
use crate::retention::{
    ExpiringFile, ExpiringFileKind, Retention, RetentionAdvisor, TopicRetention,
};
use crate::signal::Wakeup;
use crate::store::{Inner, MessageStore};
use parking_lot::Mutex;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU32, AtomicU64, Ordering};
use std::time::Duration;
use wasmq_protocol::message::RecordView;
use wasmq_protocol::message::record::BLANK_MAGIC_CODE;

/// Passes a manual trigger covers (`MAX_MANUAL_DELETE_FILE_TIMES`).
const MANUAL_PASSES: u32 = 20;
/// Commit-log files deleted per pass at most (`DELETE_FILES_BATCH_MAX`).
const DELETE_FILES_BATCH_MAX: usize = 10;

/// Clean-up state shared by the thread, `clean_now` and puts (the disk-full flag).
pub(crate) struct Cleaner {
    clock: Arc<dyn Clock>,
    disk: Arc<dyn DiskUsageProbe>,
    pub(crate) retention: Retention,
    manual: AtomicU32,
    kick: AtomicBool,
    disk_full: AtomicBool,
    /// Last measured ratio (f64 bits; NaN = unknown).
    ratio_bits: AtomicU64,
    last_min_phy: AtomicI64,
    cl_deleted: AtomicU64,
    cq_deleted: AtomicU64,
    index_deleted: AtomicU64,
    pass: Mutex<()>,
    wakeup: Wakeup,
    stop: AtomicBool,
}

impl std::fmt::Debug for Cleaner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cleaner")
            .field("disk_full", &self.disk_full.load(Ordering::Relaxed))
            .field("retention", &self.retention)
            .finish_non_exhaustive()
    }
}

struct DiskState {
    ratio: Option<f64>,
    space_to_delete: bool,
    clean_immediately: bool,
}

fn pct(ratio: u32) -> f64 {
    f64::from(ratio) / 100.0
}

impl Cleaner {
    pub(crate) fn new(env: CleanupEnv) -> Self {
        Cleaner {
            clock: env.clock,
            disk: env.disk,
            retention: Retention::default(),
            manual: AtomicU32::new(0),
            kick: AtomicBool::new(false),
            disk_full: AtomicBool::new(false),
            ratio_bits: AtomicU64::new(f64::NAN.to_bits()),
            last_min_phy: AtomicI64::new(i64::MIN),
            cl_deleted: AtomicU64::new(0),
            cq_deleted: AtomicU64::new(0),
            index_deleted: AtomicU64::new(0),
            pass: Mutex::new(()),
            wakeup: Wakeup::default(),
            stop: AtomicBool::new(false),
        }
    }

    /// The clock's time.
    pub(crate) fn now_ms(&self) -> u64 {
        self.clock.now_ms()
    }

    /// Last measured used ratio.
    pub(crate) fn disk_ratio(&self) -> Option<f64> {
        Some(f64::from_bits(self.ratio_bits.load(Ordering::Acquire))).filter(|r| !r.is_nan())
    }

    /// Whether puts are refused for a full disk.
    pub(crate) fn is_disk_full(&self) -> bool {
        self.disk_full.load(Ordering::Acquire)
    }

    /// `Err(ServiceNotAvailable("disk full: ..."))` while the disk-full flag is set.
    pub(crate) fn check_put(&self, cfg: &StoreConfig) -> Result<(), StoreError> {
        if !self.is_disk_full() {
            return Ok(());
        }
        let used = self
            .disk_ratio()
            .map_or_else(|| "?".to_owned(), |r| format!("{:.1}", r * 100.0));
        Err(StoreError::disk_full(format_args!(
            "store partition {used}% used, above diskSpaceWarningLevelRatio {}%; \
             puts refused until clean-up frees space",
            cfg.disk_space_warning_level_ratio
        )))
    }

    /// (commit-log, consume-queue, index) files deleted since open.
    pub(crate) fn deleted_totals(&self) -> (u64, u64, u64) {
        (
            self.cl_deleted.load(Ordering::Relaxed),
            self.cq_deleted.load(Ordering::Relaxed),
            self.index_deleted.load(Ordering::Relaxed),
        )
    }

    /// Measures both partitions and updates the disk-full flag (`isSpaceToDelete`).
    pub(crate) fn update_disk(&self, cfg: &StoreConfig) {
        self.measure(cfg);
    }

    fn measure(&self, cfg: &StoreConfig) -> DiskState {
        let paths = [cfg.commit_log_dir(), cfg.consume_queue_dir()];
        let ratios: Vec<Option<f64>> = paths.iter().map(|p| self.disk.used_ratio(p)).collect();
        let unknown = ratios.iter().any(Option::is_none);
        let ratio = ratios.iter().flatten().copied().reduce(f64::max);
        self.ratio_bits
            .store(ratio.unwrap_or(f64::NAN).to_bits(), Ordering::Release);
        let r = ratio.unwrap_or(-1.0);
        let full = r > pct(cfg.disk_space_warning_level_ratio);
        let was = self.disk_full.swap(full, Ordering::AcqRel);
        if full && !was {
            tracing::error!(
                used = r,
                "disk maybe full soon: store marked disk-full, puts refused"
            );
        } else if was && !full {
            tracing::info!(used = r, "disk space OK again: puts accepted");
        }
        DiskState {
            ratio,
            space_to_delete: unknown || r > pct(cfg.disk_max_used_space_ratio_clamped()),
            clean_immediately: r > pct(cfg.disk_space_clean_forcibly_ratio),
        }
    }

    /// Arms a manual deletion for the next passes and wakes the thread.
    pub(crate) fn trigger_manual(&self) {
        self.manual.store(MANUAL_PASSES, Ordering::Release);
        self.kick.store(true, Ordering::Release);
        self.wakeup.ring_always();
    }

    /// Stops the thread (and makes later passes no-ops).
    pub(crate) fn stop(&self) {
        self.stop.store(true, Ordering::Release);
        self.wakeup.ring_always();
    }

    fn take_manual(&self) -> bool {
        self.manual
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |m| m.checked_sub(1))
            .is_ok()
    }
}

fn first_record_ts(f: &MappedFile) -> Option<i64> {
    let buf = f.region.slice(0, f.region.published())?;
    RecordView::decode(buf, false)
        .ok()
        .map(|(v, _)| v.store_timestamp)
}

fn newest_record_ts(f: &MappedFile) -> Option<i64> {
    let buf = f.region.slice(0, f.region.published())?;
    let mut pos = 0;
    let mut newest = None;
    while let Some(rest) = buf.get(pos..).filter(|r| r.len() >= 8) {
        if rest
            .get(4..8)
            .and_then(|b| b.try_into().ok())
            .map(u32::from_be_bytes)
            == Some(BLANK_MAGIC_CODE)
        {
            break;
        }
        let Ok((v, n)) = RecordView::decode(rest, false) else {
            break;
        };
        newest = Some(v.store_timestamp);
        pos += n;
    }
    newest
}

fn mtime_ms(f: &MappedFile) -> u64 {
    std::fs::metadata(f.region.path())
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Age basis of `files[i]`: the first store timestamp after it, else its newest, else mtime.
fn age_basis(files: &[MappedFile], i: usize) -> u64 {
    let ts = files
        .get(i + 1)
        .and_then(first_record_ts)
        .or_else(|| files.get(i).and_then(newest_record_ts));
    match ts.and_then(|t| u64::try_from(t).ok()) {
        Some(t) => t,
        None => files.get(i).map_or(0, mtime_ms),
    }
}

/// Deletes expired commit-log files (`deleteExpiredFileByTime`); returns how many.
fn delete_commit_log_files(i: &Inner, c: &Cleaner, now: u64, forced: bool) -> usize {
    let log: &CommitLog = &i.log;
    let files = log.files().snapshot();
    let reserved_ms = i.config.file_reserved_time_hours.saturating_mul(3_600_000);
    // Never data the dispatcher has not read or the flusher has not covered (its range walk
    // must find every file from the flushed position on).
    let safe_end = i.dispatcher.reput().min(i.flush.flushed());
    let interval = Duration::from_millis(i.config.delete_commit_log_files_interval_ms);
    let mut deleted = 0;
    for (idx, f) in files.iter().enumerate().take(files.len().saturating_sub(1)) {
        if f.end() > safe_end || c.stop.load(Ordering::Acquire) {
            break;
        }
        let basis = age_basis(&files, idx);
        let expired = forced || now >= basis.saturating_add(reserved_ms);
        let info = ExpiringFile {
            name: crate::mapped_file_queue::file_name(f.start),
            kind: ExpiringFileKind::CommitLog,
            topic: String::new(),
            size_bytes: f.region.len() as u64,
            first_offset: u64::try_from(f.start).unwrap_or(0),
            last_modified_ms: basis,
            expired,
        };
        let advice = c.retention.may_delete(&info, now);
        if !advice.unwrap_or(expired) {
            if advice == Some(false) && expired {
                tracing::info!(file = %info.name, "retention advisor kept an expired commit-log file");
            }
            break;
        }
        if deleted > 0 && !interval.is_zero() {
            c.wakeup.park(interval, || c.stop.load(Ordering::Acquire));
        }
        match log.files().remove_first(f.start) {
            Ok(true) => {
                deleted += 1;
                c.cl_deleted.fetch_add(1, Ordering::Relaxed);
                tracing::info!(file = %info.name, forced, advised = ?advice, "deleted commit-log file");
            }
            Ok(false) => break,
            Err(e) => {
                tracing::warn!(cause = %e, "deleting commit-log file failed");
                break;
            }
        }
        if deleted >= DELETE_FILES_BATCH_MAX {
            break;
        }
    }
    deleted
}

/// Consume-queue and index files below the commit-log min offset; queue min offsets.
fn clean_derived(i: &Inner, c: &Cleaner) -> (usize, usize) {
    let min_phy = i.log.min_offset();
    if c.last_min_phy.swap(min_phy, Ordering::AcqRel) == min_phy {
        return (0, 0);
    }
    let mut cq_files = 0;
    for q in i.cqs.all() {
        match q.delete_files_below(min_phy) {
            Ok(n) => cq_files += n,
            Err(e) => tracing::warn!(cause = %e, "deleting consume-queue file failed"),
        }
        q.correct_min_offset(min_phy);
    }
    let index_files = match i.index.as_ref().map(|x| x.delete_files_below(min_phy)) {
        Some(Ok(n)) => n,
        Some(Err(e)) => {
            tracing::warn!(cause = %e, "deleting index file failed");
            0
        }
        None => 0,
    };
    c.cq_deleted.fetch_add(cq_files as u64, Ordering::Relaxed);
    c.index_deleted
        .fetch_add(index_files as u64, Ordering::Relaxed);
    (cq_files, index_files)
}

/// One clean-up pass (see the module docs).
pub(crate) fn run_pass(i: &Inner) -> CleanReport {
    let c = &*i.cleaner;
    let _pass = c.pass.lock();
    c.kick.store(false, Ordering::Release);
    let mut r = CleanReport::default();
    if c.stop.load(Ordering::Acquire) {
        return r;
    }
    let cfg = &i.config;
    let now = c.clock.now_ms();
    let disk = c.measure(cfg);
    r.disk_used_ratio = disk.ratio;
    r.space_to_delete = disk.space_to_delete;
    r.time_to_delete = cfg.delete_when_hours().contains(&c.clock.local_hour());
    r.manual = c.take_manual();
    if r.time_to_delete || r.space_to_delete || r.manual {
        r.forced = cfg.clean_file_forcibly_enable && disk.clean_immediately;
        r.commit_log_files_deleted = delete_commit_log_files(i, c, now, r.forced);
        if r.commit_log_files_deleted == 0 && r.space_to_delete {
            tracing::warn!("disk space will be full soon, but no commit-log file could be deleted");
        }
    }
    (r.consume_queue_files_deleted, r.index_files_deleted) = clean_derived(i, c);
    c.retention.apply_all(&i.cqs, &i.log, now);
    r.disk_full = c.is_disk_full();
    r.commit_log_min_offset = i.log.min_offset();
    r
}

/// Corrects every queue's min offset to the commit log's (at open).
pub(crate) fn correct_all_min_offsets(i: &Inner) {
    let _ = clean_derived(i, &i.cleaner);
}

/// Thread body: a pass every `cleanResourceInterval` (or when kicked) until stopped.
pub(crate) fn run(i: Arc<Inner>) {
    let c = Arc::clone(&i.cleaner);
    let period = Duration::from_millis(i.config.clean_resource_interval_ms.max(1));
    loop {
        c.wakeup.park(period, || {
            c.stop.load(Ordering::Acquire) || c.kick.load(Ordering::Acquire)
        });
        if c.stop.load(Ordering::Acquire) {
            return;
        }
        if catch_unwind(AssertUnwindSafe(|| run_pass(&i))).is_err() {
            tracing::error!("clean-up pass panicked; retrying next interval");
        }
    }
}

impl MessageStore {
    /// Runs one clean-up pass now on the caller's thread (what the clean-up thread does every
    /// `cleanResourceInterval`) and reports it. A no-op after `shutdown`.
    pub fn clean_now(&self) -> CleanReport {
        run_pass(&self.inner)
    }

    /// Manual trigger (`DELETE_EXPIRED_COMMITLOG`, Java `executeDeleteFilesManually`): the next
    /// 20 passes delete expired commit-log files whatever the hour; the clean-up thread runs
    /// the first of them right away. Returns at once.
    pub fn delete_expired_files_now(&self) {
        tracing::info!("manual deletion of expired commit-log files requested");
        self.inner.cleaner.trigger_manual();
    }

    /// Whether puts are currently refused because the disk is full.
    pub fn is_disk_full(&self) -> bool {
        self.inner.cleaner.is_disk_full()
    }

    /// Sets (or with both `None` clears) the retention of one topic: messages stored longer
    /// than `retention` ago, and the oldest messages beyond `max_bytes` of stored records over
    /// all the topic's queues, go out of reach of pulls (their queues' min offsets move
    /// forward, pulls below answer `OffsetTooSmall`). Files are not deleted: the commit log is
    /// shared and expires by its own rule; key queries and lookups by commit-log offset still
    /// find the records until then. Applied now and re-applied on every clean-up pass (with
    /// the clock's time); min offsets never move back; the setting lives in memory (set it
    /// again after a restart). Fields the advisor's `retention_for_topic` returns override it.
    pub fn set_topic_retention(
        &self,
        topic: &str,
        retention: Option<Duration>,
        max_bytes: Option<u64>,
    ) {
        let r = TopicRetention {
            retention_ms: retention.map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
            max_bytes,
        };
        let c = &self.inner.cleaner;
        c.retention.configure(topic, r);
        let now = c.now_ms();
        let effective = c.retention.effective(topic, now);
        c.retention
            .apply_topic(topic, &self.inner.cqs, &self.inner.log, now, effective);
    }

    /// Installs the retention advisor consulted by every clean-up pass (replacing any other).
    pub fn set_retention_advisor(&self, advisor: Arc<dyn RetentionAdvisor>) {
        self.inner.cleaner.retention.set_advisor(Some(advisor));
    }

    /// Removes the retention advisor (the native rules alone decide).
    pub fn clear_retention_advisor(&self) {
        self.inner.cleaner.retention.set_advisor(None);
    }
}
