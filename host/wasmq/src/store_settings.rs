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
        }
    }

    /// The store's own configuration.
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
