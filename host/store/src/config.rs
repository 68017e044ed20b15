//! Store configuration: a plain struct whose `Default` is RocketMQ 4.9.x `MessageStoreConfig`.

use std::path::PathBuf;

/// How the commit log reaches the disk (`flushDiskType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FlushDiskType {
    /// `ASYNC_FLUSH`: a background thread flushes every `flush_interval_commit_log_ms`.
    #[default]
    AsyncFlush,
    /// `SYNC_FLUSH`: a put is answered only once its bytes are durable (group commit).
    SyncFlush,
}

/// Store configuration (names follow `MessageStoreConfig`, snake_case).
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// `storePathRootDir` (default `~/store`).
    pub store_path_root_dir: PathBuf,
    /// `storePathCommitLog`; `None` = `<root>/commitlog`.
    pub store_path_commit_log: Option<PathBuf>,
    /// `mappedFileSizeCommitLog` (a.k.a. `mapedFileSizeCommitLog`), bytes per commit-log file.
    pub mapped_file_size_commit_log: u64,
    /// `mappedFileSizeConsumeQueue`, bytes per consume-queue file (rounded down to 20-byte units).
    pub mapped_file_size_consume_queue: u64,
    /// `flushDiskType`.
    pub flush_disk_type: FlushDiskType,
    /// `flushIntervalCommitLog` (ms) for ASYNC_FLUSH.
    pub flush_interval_commit_log_ms: u64,
    /// `flushCommitLogLeastPages`: dirty 4 KiB pages needed before an async flush.
    pub flush_commit_log_least_pages: u32,
    /// `flushIntervalConsumeQueue` (ms): consume queue, index and checkpoint flush period.
    pub flush_interval_consume_queue_ms: u64,
    /// `syncFlushTimeout` (ms): a SYNC_FLUSH put answers `FlushDiskTimeout` after this.
    pub sync_flush_timeout_ms: u64,
    /// `maxMessageSize`: largest stored record, bytes.
    pub max_message_size: usize,
    /// `messageIndexEnable`: build index files by `topic#key`.
    pub message_index_enable: bool,
    /// `maxHashSlotNum`: hash slots per index file.
    pub max_hash_slot_num: u32,
    /// `maxIndexNum`: entries per index file.
    pub max_index_num: u32,
    /// `checkCRCOnRecover`: verify body CRC while recovering.
    pub check_crc_on_recover: bool,
    /// `messageDelayLevel`: delay levels used to compute SCHEDULE_TOPIC_XXXX tags codes.
    pub message_delay_level: String,
    /// `deleteWhen`: `;`-separated local hours (`"04"`, `"04;16"`) at which expired commit-log
    /// files are deleted (at any hour when the disk is above `diskMaxUsedSpaceRatio`).
    pub delete_when: String,
    /// `fileReservedTime` (hours): age after which a commit-log file is expired.
    pub file_reserved_time_hours: u64,
    /// `diskMaxUsedSpaceRatio` (%): above it expired files are deleted at any hour. Read it
    /// through [`StoreConfig::disk_max_used_space_ratio_clamped`] (10..=95, as Java).
    pub disk_max_used_space_ratio: u32,
    /// `rocketmq.broker.diskSpaceWarningLevelRatio` (%): above it the store is marked disk-full
    /// and refuses puts until usage is back at or below it.
    pub disk_space_warning_level_ratio: u32,
    /// `rocketmq.broker.diskSpaceCleanForciblyRatio` (%): above it (with
    /// `clean_file_forcibly_enable`) files are deleted ignoring `fileReservedTime`.
    pub disk_space_clean_forcibly_ratio: u32,
    /// `cleanFileForciblyEnable`.
    pub clean_file_forcibly_enable: bool,
    /// `deleteCommitLogFilesInterval` (ms): pause between two commit-log deletions of a pass.
    pub delete_commit_log_files_interval_ms: u64,
    /// `destroyMapedFileIntervalForcibly` (ms). Accepted for broker.conf compatibility and
    /// unused: a deleted file's mapping lives on behind reference counts (readers hold `Bytes`
    /// over it), so deletion never has to wait for, or force out, readers.
    pub destroy_mapped_file_interval_forcibly_ms: u64,
    /// `cleanResourceInterval` (ms): period of the clean-up thread.
    pub clean_resource_interval_ms: u64,
}

impl Default for StoreConfig {
    fn default() -> Self {
        let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from);
        StoreConfig {
            store_path_root_dir: home.join("store"),
            store_path_commit_log: None,
            mapped_file_size_commit_log: 1024 * 1024 * 1024,
            mapped_file_size_consume_queue: 300_000 * 20,
            flush_disk_type: FlushDiskType::AsyncFlush,
            flush_interval_commit_log_ms: 500,
            flush_commit_log_least_pages: 4,
            flush_interval_consume_queue_ms: 1000,
            sync_flush_timeout_ms: 5000,
            max_message_size: 4 * 1024 * 1024,
            message_index_enable: true,
            max_hash_slot_num: 5_000_000,
            max_index_num: 20_000_000,
            check_crc_on_recover: true,
            message_delay_level: "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h"
                .into(),
            delete_when: "04".into(),
            file_reserved_time_hours: 72,
            disk_max_used_space_ratio: 75,
            disk_space_warning_level_ratio: 90,
            disk_space_clean_forcibly_ratio: 85,
            clean_file_forcibly_enable: true,
            delete_commit_log_files_interval_ms: 100,
            destroy_mapped_file_interval_forcibly_ms: 120_000,
            clean_resource_interval_ms: 10_000,
        }
    }
}

impl StoreConfig {
    /// Directory of commit-log files.
    pub fn commit_log_dir(&self) -> PathBuf {
        self.store_path_commit_log
            .clone()
            .unwrap_or_else(|| self.store_path_root_dir.join("commitlog"))
    }

    /// Directory of consume queues (`consumequeue/<topic>/<queue>/`).
    pub fn consume_queue_dir(&self) -> PathBuf {
        self.store_path_root_dir.join("consumequeue")
    }

    /// Directory of index files.
    pub fn index_dir(&self) -> PathBuf {
        self.store_path_root_dir.join("index")
    }

    /// Path of the checkpoint file.
    pub fn checkpoint_path(&self) -> PathBuf {
        self.store_path_root_dir.join("checkpoint")
    }

    /// Path of the abort marker.
    pub fn abort_path(&self) -> PathBuf {
        self.store_path_root_dir.join("abort")
    }

    /// `diskMaxUsedSpaceRatio` clamped to 10..=95 (Java `getDiskMaxUsedSpaceRatio`).
    pub fn disk_max_used_space_ratio_clamped(&self) -> u32 {
        self.disk_max_used_space_ratio.clamp(10, 95)
    }

    /// Hours listed in `deleteWhen` (`;`-separated; blanks and items that are not an hour
    /// 0..=23 are skipped with a warning).
    pub fn delete_when_hours(&self) -> Vec<u32> {
        self.delete_when
            .split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .filter_map(|s| match s.parse::<u32>() {
                Ok(h) if h < 24 => Some(h),
                _ => {
                    tracing::warn!(item = s, "deleteWhen item is not an hour 0..=23; ignored");
                    None
                }
            })
            .collect()
    }

    /// Delay levels in milliseconds, level 1 first (unparsable items are skipped).
    pub fn delay_levels_ms(&self) -> Vec<i64> {
        self.message_delay_level
            .split_whitespace()
            .filter_map(|s| {
                let (num, unit) = s.split_at(s.len().saturating_sub(1));
                let n: i64 = num.parse().ok()?;
                let mult = match unit {
                    "s" => 1000,
                    "m" => 60_000,
                    "h" => 3_600_000,
                    "d" => 86_400_000,
                    _ => return None,
                };
                Some(n * mult)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_delay_levels() {
        let c = StoreConfig::default();
        assert_eq!(c.mapped_file_size_commit_log, 1 << 30);
        assert_eq!(c.mapped_file_size_consume_queue, 6_000_000);
        let levels = c.delay_levels_ms();
        assert_eq!(levels.len(), 18);
        assert_eq!(levels.first(), Some(&1000));
        assert_eq!(levels.last(), Some(&7_200_000));
    }

    #[test]
    fn clean_up_defaults_delete_when_and_clamp() {
        let mut c = StoreConfig::default();
        assert_eq!(c.delete_when_hours(), vec![4]);
        assert_eq!(c.file_reserved_time_hours, 72);
        assert_eq!(c.disk_max_used_space_ratio_clamped(), 75);
        assert_eq!(c.clean_resource_interval_ms, 10_000);
        c.delete_when = " 04; 16;;x;24 ".into();
        assert_eq!(c.delete_when_hours(), vec![4, 16]);
        c.disk_max_used_space_ratio = 3;
        assert_eq!(c.disk_max_used_space_ratio_clamped(), 10);
        c.disk_max_used_space_ratio = 99;
        assert_eq!(c.disk_max_used_space_ratio_clamped(), 95);
    }
}
