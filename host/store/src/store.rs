//! `MessageStore`: the public facade tying commit log, consume queues, index, flush and dispatch.

use crate::config::StoreConfig;
use crate::error::StoreError;
use crate::types::*;
use bytes::Bytes;
use std::sync::Arc;

/// The message store (`DefaultMessageStore`). `Send + Sync`, shared as `Arc<MessageStore>`.
#[derive(Debug)]
pub struct MessageStore {
    _config: StoreConfig,
}

impl MessageStore {
    /// Opens (recovering if needed) the store and starts its background threads.
    pub fn open(config: StoreConfig) -> Result<Arc<MessageStore>, StoreError> {
        let _ = config;
        unimplemented!("API skeleton")
    }

    /// Appends one message; under SYNC_FLUSH with `wait_store_ok` resolves once durable.
    pub async fn put_message(&self, msg: MessageToStore) -> Result<PutResult, StoreError> {
        let _ = msg;
        unimplemented!("API skeleton")
    }

    /// Appends a batch (same topic/queue, consecutive queue offsets).
    pub async fn put_messages(&self, batch: MessageBatchToStore) -> Result<PutResult, StoreError> {
        let _ = batch;
        unimplemented!("API skeleton")
    }

    /// Reads up to `max_msg_nums` messages from a queue (Java `getMessage`).
    pub fn get_messages(
        &self,
        topic: &str,
        queue_id: i32,
        offset: i64,
        max_msg_nums: i32,
        filter: &dyn Fn(i64) -> bool,
    ) -> GetMessageResult {
        let _ = (topic, queue_id, offset, max_msg_nums, filter);
        unimplemented!("API skeleton")
    }

    /// Next logical offset of a queue (= entry count), 0 if none.
    pub fn max_offset_in_queue(&self, topic: &str, queue_id: i32) -> i64 {
        let _ = (topic, queue_id);
        unimplemented!("API skeleton")
    }

    /// Smallest logical offset still present.
    pub fn min_offset_in_queue(&self, topic: &str, queue_id: i32) -> i64 {
        let _ = (topic, queue_id);
        unimplemented!("API skeleton")
    }

    /// Logical offset of the first message stored at or after `timestamp_ms`.
    pub fn offset_by_timestamp(&self, topic: &str, queue_id: i32, timestamp_ms: i64) -> i64 {
        let _ = (topic, queue_id, timestamp_ms);
        unimplemented!("API skeleton")
    }

    /// Store time of the oldest message of a queue.
    pub fn earliest_message_time(&self, topic: &str, queue_id: i32) -> Option<i64> {
        let _ = (topic, queue_id);
        unimplemented!("API skeleton")
    }

    /// Store time of the message at a logical offset.
    pub fn message_store_time(&self, topic: &str, queue_id: i32, offset: i64) -> Option<i64> {
        let _ = (topic, queue_id, offset);
        unimplemented!("API skeleton")
    }

    /// Commit-log offset of the message at a logical offset.
    pub fn commit_log_offset_in_queue(
        &self,
        topic: &str,
        queue_id: i32,
        offset: i64,
    ) -> Option<i64> {
        let _ = (topic, queue_id, offset);
        unimplemented!("API skeleton")
    }

    /// One whole stored record at a commit-log offset.
    pub fn look_message_by_offset(&self, commit_log_offset: i64) -> Option<Bytes> {
        let _ = commit_log_offset;
        unimplemented!("API skeleton")
    }

    /// Records indexed under `topic#key` stored within `[begin_ms, end_ms]`.
    pub fn query_message(
        &self,
        topic: &str,
        key: &str,
        max_num: usize,
        begin_ms: i64,
        end_ms: i64,
    ) -> QueryResult {
        let _ = (topic, key, max_num, begin_ms, end_ms);
        unimplemented!("API skeleton")
    }

    /// Commit-log write offset.
    pub fn max_phy_offset(&self) -> i64 {
        unimplemented!("API skeleton")
    }

    /// Commit-log smallest offset.
    pub fn min_phy_offset(&self) -> i64 {
        unimplemented!("API skeleton")
    }

    /// Installs the callback fired for each new consume-queue entry.
    pub fn set_arrival_listener(&self, f: ArrivalListener) {
        let _ = f;
        unimplemented!("API skeleton")
    }

    /// Deletes the consume queues of these topics.
    pub fn delete_topics(&self, topics: &[String]) {
        let _ = topics;
        unimplemented!("API skeleton")
    }

    /// Runtime statistics.
    pub fn runtime_stats(&self) -> StoreStats {
        unimplemented!("API skeleton")
    }

    /// Flushes everything and deletes `abort`; idempotent.
    pub fn shutdown(&self) {
        unimplemented!("API skeleton")
    }
}
