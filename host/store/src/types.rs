//! Values crossing the store API: messages to store, put/get/query results, statistics.

use bytes::Bytes;
use std::net::SocketAddr;

/// One message to append (`MessageExtBrokerInner`).
#[derive(Debug, Clone)]
pub struct MessageToStore {
    /// Topic (1..=127 bytes UTF-8).
    pub topic: String,
    /// Queue id.
    pub queue_id: i32,
    /// User flag.
    pub flag: i32,
    /// Body (stored verbatim).
    pub body: Bytes,
    /// Already-encoded properties string (`k\x01v\x02...`).
    pub properties: String,
    /// Message sysFlag (transaction bits decide whether a queue offset is assigned).
    pub sys_flag: i32,
    /// Born timestamp, ms.
    pub born_timestamp: i64,
    /// Producer address (IPv6 sets the BORNHOST_V6 sysFlag bit).
    pub born_host: SocketAddr,
    /// Broker address (IPv6 sets the STOREHOST_V6 sysFlag bit).
    pub store_host: SocketAddr,
    /// Reconsume times.
    pub reconsume_times: i32,
    /// Prepared transaction offset (commit record: half record offset).
    pub prepared_transaction_offset: i64,
    /// Tags code computed by the caller. The consume-queue entry uses the code the store derives
    /// from the record itself (TAGS hash, or delivery time for SCHEDULE_TOPIC_XXXX) so that
    /// queues rebuilt by recovery equal live ones; this must agree with that derivation.
    pub tags_code: i64,
    /// Space-separated keys (also present as KEYS in `properties`; the index reads the record).
    pub keys: String,
    /// Client message id (also present as UNIQ_KEY in `properties`).
    pub uniq_key: Option<String>,
    /// `false` => under SYNC_FLUSH, answer without waiting for durability (WAIT=false).
    pub wait_store_ok: bool,
}

/// One item of a batch (`MessageBatchToStore`).
#[derive(Debug, Clone)]
pub struct BatchItemToStore {
    /// User flag.
    pub flag: i32,
    /// Body.
    pub body: Bytes,
    /// Encoded properties string of this item.
    pub properties: String,
    /// Tags code (see [`MessageToStore::tags_code`]).
    pub tags_code: i64,
    /// Space-separated keys.
    pub keys: String,
    /// Client message id.
    pub uniq_key: Option<String>,
}

/// A batch: every item goes to the same topic/queue with consecutive queue offsets.
#[derive(Debug, Clone)]
pub struct MessageBatchToStore {
    /// Topic.
    pub topic: String,
    /// Queue id.
    pub queue_id: i32,
    /// sysFlag applied to every item.
    pub sys_flag: i32,
    /// Born timestamp, ms.
    pub born_timestamp: i64,
    /// Producer address.
    pub born_host: SocketAddr,
    /// Broker address.
    pub store_host: SocketAddr,
    /// Items, in order.
    pub items: Vec<BatchItemToStore>,
    /// See [`MessageToStore::wait_store_ok`].
    pub wait_store_ok: bool,
}

/// Outcome class of a successful put.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutStatus {
    /// Appended (and durable if SYNC_FLUSH was awaited).
    PutOk,
    /// Appended, but the sync flush did not finish within `syncFlushTimeout`.
    FlushDiskTimeout,
}

/// Result of a put.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutResult {
    /// Status.
    pub status: PutStatus,
    /// Commit-log offset of the first record.
    pub wrote_offset: i64,
    /// Bytes written (all records, excluding any end-of-file filler).
    pub wrote_bytes: i32,
    /// Commit-log offsets of every record (for `message::offset_msg_id`).
    pub record_offsets: Vec<i64>,
    /// Queue offset of the first record (0 for prepared/rollback transaction records).
    pub queue_offset: i64,
    /// Number of records.
    pub msg_num: i32,
    /// Store timestamp, ms.
    pub store_timestamp: i64,
}

/// Status of a `get_messages` call (Java `GetMessageStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GetMessageStatus {
    /// At least one message returned.
    Found,
    /// Entries scanned, none matched the filter.
    NoMatchedMessage,
    /// The commit-log data behind the entry is gone (cleaned up).
    MessageWasRemoving,
    /// The consume-queue entry could not be read.
    OffsetFoundNull,
    /// Offset beyond max + 1.
    OffsetOverflowBadly,
    /// Offset == max (nothing new yet).
    OffsetOverflowOne,
    /// Offset below min.
    OffsetTooSmall,
    /// The queue does not exist.
    NoMatchedLogicQueue,
    /// The queue exists but is empty.
    NoMessageInQueue,
}

/// Result of `get_messages` (Java `GetMessageResult`).
#[derive(Debug, Clone)]
pub struct GetMessageResult {
    /// Status.
    pub status: GetMessageStatus,
    /// Offset to pull from next.
    pub next_begin_offset: i64,
    /// Queue min offset.
    pub min_offset: i64,
    /// Queue max offset (next logical offset).
    pub max_offset: i64,
    /// Whole stored records, zero-copy slices of the commit-log mapping.
    pub messages: Vec<Bytes>,
    /// Queue offset of each message.
    pub message_queue_offsets: Vec<i64>,
    /// Sum of record sizes.
    pub buffer_total_size: usize,
}

/// Result of `query_message`.
#[derive(Debug, Clone, Default)]
pub struct QueryResult {
    /// Whole stored records whose `topic#key` hash matched (collisions possible).
    pub messages: Vec<Bytes>,
    /// End timestamp of the newest index file.
    pub index_last_update_timestamp: i64,
    /// End physical offset of the newest index file.
    pub index_last_update_phyoffset: i64,
}

/// Runtime statistics.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoreStats {
    /// Messages appended since open.
    pub put_message_times_total: u64,
    /// Bytes appended since open.
    pub put_message_size_total: u64,
    /// Put calls refused with an error.
    pub put_message_failed_times: u64,
    /// Commit-log min offset.
    pub commit_log_min_offset: i64,
    /// Commit-log max (write) offset.
    pub commit_log_max_offset: i64,
    /// Commit-log durable offset.
    pub commit_log_flushed_offset: i64,
    /// Commit-log flushes (msync) done since open; with group commit far fewer than puts.
    pub commit_log_flush_count: u64,
    /// Dispatch (reput) position.
    pub dispatch_offset: i64,
    /// Bytes of commit-log files on disk.
    pub commit_log_disk_bytes: u64,
    /// Number of consume queues.
    pub consume_queue_count: usize,
    /// Number of index files.
    pub index_file_count: usize,
    /// Whether a failed flush poisoned the store.
    pub poisoned: bool,
    /// Highest used ratio (0.0..=1.0) of the commit-log and consume-queue partitions at the
    /// last clean-up pass (or open); `None` if not measurable.
    pub disk_used_ratio: Option<f64>,
    /// Whether puts are refused because the disk is full.
    pub disk_full: bool,
    /// Commit-log files on disk.
    pub commit_log_file_count: usize,
    /// Store timestamp (ms) of the oldest message still in the commit log.
    pub oldest_message_store_time: Option<i64>,
    /// Commit-log files deleted by clean-up since open.
    pub commit_log_files_deleted_total: u64,
    /// Consume-queue files deleted by clean-up since open.
    pub consume_queue_files_deleted_total: u64,
    /// Index files deleted by clean-up since open.
    pub index_files_deleted_total: u64,
}

/// Callback fired by dispatch for each new consume-queue entry: topic, queue, new max offset,
/// tags code.
pub type ArrivalListener = Box<dyn Fn(&str, i32, i64, i64) + Send + Sync>;
