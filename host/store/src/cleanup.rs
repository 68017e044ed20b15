//! What the clean-up service depends on and reports: the injectable [`Clock`] and
//! [`DiskUsageProbe`] (real ones: [`SystemClock`], [`StatvfsProbe`]; controllable ones for
//! tests: [`ManualClock`], [`ManualDiskUsage`]), bundled as [`CleanupEnv`], and [`CleanReport`].

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

/// Time as the clean-up service sees it.
pub trait Clock: Send + Sync {
    /// Milliseconds since the Unix epoch (compared with message store timestamps).
    fn now_ms(&self) -> u64;
    /// Local hour of day, 0..=23 (compared with `deleteWhen`).
    fn local_hour(&self) -> u32;
}

/// The system clock and the process time zone (`TZ`, `/etc/localtime`), like Java's
/// `Calendar.getInstance()`.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }

    fn local_hour(&self) -> u32 {
        let now = self.now_ms();
        crate::sys::local_hour(now).unwrap_or(((now / 3_600_000) % 24) as u32)
    }
}

/// A clock that only moves when told to (tests, simulations).
#[derive(Debug, Default)]
pub struct ManualClock {
    now_ms: AtomicU64,
    hour: AtomicU32,
}

impl ManualClock {
    /// A clock at `now_ms` whose local hour is `hour`.
    pub fn new(now_ms: u64, hour: u32) -> Self {
        ManualClock {
            now_ms: AtomicU64::new(now_ms),
            hour: AtomicU32::new(hour % 24),
        }
    }

    /// Sets the time.
    pub fn set_now_ms(&self, now_ms: u64) {
        self.now_ms.store(now_ms, Ordering::SeqCst);
    }

    /// Sets the local hour (independent of the time, so tests need no time zone).
    pub fn set_hour(&self, hour: u32) {
        self.hour.store(hour % 24, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> u64 {
        self.now_ms.load(Ordering::SeqCst)
    }

    fn local_hour(&self) -> u32 {
        self.hour.load(Ordering::SeqCst)
    }
}

/// Disk usage of the partition holding a path.
pub trait DiskUsageProbe: Send + Sync {
    /// Used fraction 0.0..=1.0 of the filesystem holding `path`; `None` if it cannot be
    /// measured (treated as Java treats `-1`: expired files are reclaimed at any hour, the
    /// disk-full flag is cleared).
    fn used_ratio(&self, path: &Path) -> Option<f64>;
}

/// `statvfs(2)`: `used / (used + available)`, the figure `df` shows.
#[derive(Debug, Clone, Copy, Default)]
pub struct StatvfsProbe;

impl DiskUsageProbe for StatvfsProbe {
    fn used_ratio(&self, path: &Path) -> Option<f64> {
        crate::sys::used_ratio(path)
            .inspect_err(|e| {
                tracing::warn!(path = %path.display(), cause = %e, "measuring disk usage failed");
            })
            .ok()
    }
}

/// A probe answering a settable ratio for every path (tests, simulations).
#[derive(Debug)]
pub struct ManualDiskUsage {
    /// f64 bits; NaN = cannot be measured.
    bits: AtomicU64,
}

impl ManualDiskUsage {
    /// A probe answering `ratio` (0.0..=1.0).
    pub fn new(ratio: f64) -> Self {
        ManualDiskUsage {
            bits: AtomicU64::new(ratio.to_bits()),
        }
    }

    /// Sets the ratio; `None` makes the probe fail.
    pub fn set(&self, ratio: Option<f64>) {
        self.bits
            .store(ratio.unwrap_or(f64::NAN).to_bits(), Ordering::SeqCst);
    }
}

impl DiskUsageProbe for ManualDiskUsage {
    fn used_ratio(&self, _path: &Path) -> Option<f64> {
        Some(f64::from_bits(self.bits.load(Ordering::SeqCst))).filter(|r| !r.is_nan())
    }
}

/// The clock and disk probe of a store's clean-up service
/// (`MessageStore::open_with(config, env)`); `Default` = system clock + statvfs.
#[derive(Clone)]
pub struct CleanupEnv {
    /// Time source.
    pub clock: Arc<dyn Clock>,
    /// Disk usage source.
    pub disk: Arc<dyn DiskUsageProbe>,
}

impl Default for CleanupEnv {
    fn default() -> Self {
        CleanupEnv {
            clock: Arc::new(SystemClock),
            disk: Arc::new(StatvfsProbe),
        }
    }
}

impl std::fmt::Debug for CleanupEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CleanupEnv").finish_non_exhaustive()
    }
}

/// What one clean-up pass did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CleanReport {
    /// Highest used ratio (0.0..=1.0) of the commit-log and consume-queue partitions; `None`
    /// if neither could be measured.
    pub disk_used_ratio: Option<f64>,
    /// Whether the store is marked disk-full (puts refused) after this pass.
    pub disk_full: bool,
    /// The local hour is listed in `deleteWhen`.
    pub time_to_delete: bool,
    /// Usage above `diskMaxUsedSpaceRatio` (or unmeasurable): reclaim at any hour.
    pub space_to_delete: bool,
    /// A manual trigger (`delete_expired_files_now`) was pending.
    pub manual: bool,
    /// Usage above `diskSpaceCleanForciblyRatio` with `cleanFileForciblyEnable`: files were
    /// eligible regardless of `fileReservedTime`.
    pub forced: bool,
    /// Commit-log files deleted.
    pub commit_log_files_deleted: usize,
    /// Consume-queue files deleted (wholly below the commit log's min offset).
    pub consume_queue_files_deleted: usize,
    /// Index files deleted (wholly below the commit log's min offset).
    pub index_files_deleted: usize,
    /// Commit-log min offset after the pass.
    pub commit_log_min_offset: i64,
}
