//! The store's configuration keys as RocketMQ spells them, mapped onto [`StoreConfig`].

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use wasmq_store::{FlushDiskType, StoreConfig};

/// `flushDiskType` as written in broker.conf.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FlushDiskTypeKey {
    /// Acknowledge when the message is in the page cache.
    #[serde(rename = "ASYNC_FLUSH")]
    AsyncFlush,
    /// Acknowledge when the message is on disk.
    #[serde(rename = "SYNC_FLUSH")]
    SyncFlush,
}

/// Store keys of `MessageStoreConfig` (4.9.x), with its defaults.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct StoreSettings {
    /// Root of the store.
    pub store_path_root_dir: PathBuf,
    /// Commit-log directory; empty = `<root>/commitlog`.
    pub store_path_commit_log: Option<PathBuf>,
    /// Bytes per commit-log file.
    #[serde(alias = "mapedFileSizeCommitLog")]
    pub mapped_file_size_commit_log: u64,
    /// Bytes per consume-queue file.
    #[serde(alias = "mapedFileSizeConsumeQueue")]
    pub mapped_file_size_consume_queue: u64,
    /// ASYNC_FLUSH or SYNC_FLUSH.
    pub flush_disk_type: FlushDiskTypeKey,
    /// Async flush period, ms.
    pub flush_interval_commit_log: u64,
    /// Dirty pages needed before an async flush.
    pub flush_commit_log_least_pages: u32,
    /// Consume-queue flush period, ms.
    pub flush_interval_consume_queue: u64,
    /// SYNC_FLUSH timeout, ms (then FLUSH_DISK_TIMEOUT).
    pub sync_flush_timeout: u64,
    /// Largest message body, bytes.
    pub max_message_size: usize,
    /// Build the key index.
    pub message_index_enable: bool,
    /// Hash slots per index file.
    pub max_hash_slot_num: u32,
    /// Entries per index file.
    pub max_index_num: u32,
    /// Verify CRCs during recovery.
    #[serde(rename = "checkCRCOnRecover")]
    pub check_crc_on_recover: bool,
    /// Delay levels.
    pub message_delay_level: String,
    /// Hour(s) of day expired commit-log files are deleted: `04`, or `04;16`.
    pub delete_when: String,
    /// Hours a commit-log file is kept.
    pub file_reserved_time: u64,
    /// Disk usage (%) above which expired files are deleted at any hour (clamped 10..=95).
    pub disk_max_used_space_ratio: u32,
    /// Disk usage (%) above which sends are refused (code 14) until space returns.
    pub disk_space_warning_level_ratio: u32,
    /// Disk usage (%) above which files are deleted ignoring fileReservedTime.
    pub disk_space_clean_forcibly_ratio: u32,
    /// Allow the forced clean-up above diskSpaceCleanForciblyRatio.
    pub clean_file_forcibly_enable: bool,
    /// Pause between two deletions of a clean-up pass, ms.
    pub delete_commit_log_files_interval: u64,
    /// Accepted for broker.conf compatibility (readers never block a deletion here), ms.
    #[serde(alias = "destroyMappedFileIntervalForcibly")]
    pub destroy_maped_file_interval_forcibly: u64,
    /// Period of the clean-up service, ms.
    pub clean_resource_interval: u64,
}

impl Default for StoreSettings {
    fn default() -> Self {
        Self::from_config(&StoreConfig::default())
    }
}

impl StoreSettings {
    fn from_config(c: &StoreConfig) -> Self {
        Self {
            store_path_root_dir: c.store_path_root_dir.clone(),
            store_path_commit_log: c.store_path_commit_log.clone(),
            mapped_file_size_commit_log: c.mapped_file_size_commit_log,
            mapped_file_size_consume_queue: c.mapped_file_size_consume_queue,
            flush_disk_type: match c.flush_disk_type {
                FlushDiskType::SyncFlush => FlushDiskTypeKey::SyncFlush,
                _ => FlushDiskTypeKey::AsyncFlush,
            },
            flush_interval_commit_log: c.flush_interval_commit_log_ms,
            flush_commit_log_least_pages: c.flush_commit_log_least_pages,
            flush_interval_consume_queue: c.flush_interval_consume_queue_ms,
            sync_flush_timeout: c.sync_flush_timeout_ms,
            max_message_size: c.max_message_size,
            message_index_enable: c.message_index_enable,
            max_hash_slot_num: c.max_hash_slot_num,
            max_index_num: c.max_index_num,
            check_crc_on_recover: c.check_crc_on_recover,
            message_delay_level: c.message_delay_level.clone(),
            delete_when: c.delete_when.clone(),
            file_reserved_time: c.file_reserved_time_hours,
            disk_max_used_space_ratio: c.disk_max_used_space_ratio,
            disk_space_warning_level_ratio: c.disk_space_warning_level_ratio,
            disk_space_clean_forcibly_ratio: c.disk_space_clean_forcibly_ratio,
            clean_file_forcibly_enable: c.clean_file_forcibly_enable,
            delete_commit_log_files_interval: c.delete_commit_log_files_interval_ms,
            destroy_maped_file_interval_forcibly: c.destroy_mapped_file_interval_forcibly_ms,
            clean_resource_interval: c.clean_resource_interval_ms,
        }
    }

    /// The store's own configuration .
    pub fn to_config(&self) -> StoreConfig {
        StoreConfig {
            store_path_root_dir: expand_home(&self.store_path_root_dir),
            store_path_commit_log: self.store_path_commit_log.as_deref().map(expand_home),
            mapped_file_size_commit_log: self.mapped_file_size_commit_log,
            mapped_file_size_consume_queue: self.mapped_file_size_consume_queue,
            flush_disk_type: match self.flush_disk_type {
                FlushDiskTypeKey::SyncFlush => FlushDiskType::SyncFlush,
                FlushDiskTypeKey::AsyncFlush => FlushDiskType::AsyncFlush,
            },
            flush_interval_commit_log_ms: self.flush_interval_commit_log,
            flush_commit_log_least_pages: self.flush_commit_log_least_pages,
            flush_interval_consume_queue_ms: self.flush_interval_consume_queue,
            sync_flush_timeout_ms: self.sync_flush_timeout,
            max_message_size: self.max_message_size,
            message_index_enable: self.message_index_enable,
            max_hash_slot_num: self.max_hash_slot_num,
            max_index_num: self.max_index_num,
            check_crc_on_recover: self.check_crc_on_recover,
            message_delay_level: self.message_delay_level.clone(),
            delete_when: self.delete_when.clone(),
            file_reserved_time_hours: self.file_reserved_time,
            disk_max_used_space_ratio: self.disk_max_used_space_ratio,
            disk_space_warning_level_ratio: self.disk_space_warning_level_ratio,
            disk_space_clean_forcibly_ratio: self.disk_space_clean_forcibly_ratio,
            clean_file_forcibly_enable: self.clean_file_forcibly_enable,
            delete_commit_log_files_interval_ms: self.delete_commit_log_files_interval,
            destroy_mapped_file_interval_forcibly_ms: self.destroy_maped_file_interval_forcibly,
            clean_resource_interval_ms: self.clean_resource_interval,
        }
    }
}

/// Expands a leading `~/` to `$HOME/`, as operators write paths in broker.conf.
pub fn expand_home(path: &std::path::Path) -> PathBuf {
    match (path.strip_prefix("~"), std::env::var_os("HOME")) {
        (Ok(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => path.to_path_buf(),
    }
}
