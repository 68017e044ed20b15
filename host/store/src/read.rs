//! The read side of `MessageStore`: pulls (`getMessage`), queue/time lookups, key queries.

use crate::consume_queue::{CQ_UNIT, ConsumeQueue, CqEntry};
use crate::store::MessageStore;
use crate::types::{GetMessageResult, GetMessageStatus, QueryResult};
use bytes::Bytes;
use wasmq_protocol::message::RecordView;

/// Pull batch limits for data in page cache (`maxTransferBytesOnMessageInMemory`, count).
const MAX_TRANSFER_BYTES: usize = 256 * 1024;
const MAX_TRANSFER_COUNT: usize = 32;

impl MessageStore {
    /// Reads up to `max_msg_nums` messages from a queue (Java `getMessage`): entries whose tags
    /// code `filter` rejects are skipped; `next_begin_offset` = offset + entries scanned.
    pub fn get_messages(
        &self,
        topic: &str,
        queue_id: i32,
        offset: i64,
        max_msg_nums: i32,
        filter: &dyn Fn(i64) -> bool,
    ) -> GetMessageResult {
        let mut r = GetMessageResult {
            status: GetMessageStatus::NoMatchedLogicQueue,
            next_begin_offset: 0,
            min_offset: 0,
            max_offset: 0,
            messages: Vec::new(),
            message_queue_offsets: Vec::new(),
            buffer_total_size: 0,
        };
        let Some(cq) = self.inner.cqs.find(topic, queue_id) else {
            return r;
        };
        let (min, max) = (cq.min_offset(), cq.max_offset());
        r.min_offset = min;
        r.max_offset = max;
        if max == 0 {
            r.status = GetMessageStatus::NoMessageInQueue;
        } else if offset < min {
            r.status = GetMessageStatus::OffsetTooSmall;
            r.next_begin_offset = min;
        } else if offset == max {
            r.status = GetMessageStatus::OffsetOverflowOne;
            r.next_begin_offset = offset;
        } else if offset > max {
            r.status = GetMessageStatus::OffsetOverflowBadly;
            r.next_begin_offset = if min == 0 { min } else { max };
        } else {
            self.scan_queue(&cq, offset, max_msg_nums, filter, &mut r);
        }
        r
    }

    fn scan_queue(
        &self,
        cq: &ConsumeQueue,
        offset: i64,
        max_msg_nums: i32,
        filter: &dyn Fn(i64) -> bool,
        r: &mut GetMessageResult,
    ) {
        let Some((f, off, end)) = cq.units_from(offset) else {
            r.status = GetMessageStatus::OffsetFoundNull;
            r.next_begin_offset = cq.roll_next_file(offset);
            return;
        };
        let max_msgs = usize::try_from(max_msg_nums).unwrap_or(0);
        let max_scan = 16_000usize.max(max_msgs.saturating_mul(CQ_UNIT));
        r.status = GetMessageStatus::NoMatchedMessage;
        let mut next_phy_file_start = i64::MIN;
        let mut i = 0usize;
        let log_file = self.inner.log.file_size() as i64;
        while i < end - off && i < max_scan {
            let Some(e) = f.region.slice(off + i, CQ_UNIT).and_then(CqEntry::decode) else {
                break;
            };
            if next_phy_file_start != i64::MIN && e.phy_offset < next_phy_file_start {
                i += CQ_UNIT;
                continue;
            }
            let count = r.messages.len();
            if r.buffer_total_size > 0 && count > 0 {
                let size = usize::try_from(e.size).unwrap_or(usize::MAX);
                if max_msgs <= count
                    || r.buffer_total_size.saturating_add(size) > MAX_TRANSFER_BYTES
                    || count >= MAX_TRANSFER_COUNT
                {
                    break;
                }
            }
            if !filter(e.tags_code) {
                i += CQ_UNIT;
                continue;
            }
            let data = usize::try_from(e.size)
                .ok()
                .and_then(|s| self.inner.log.read(e.phy_offset, s));
            match data {
                Some(b) => {
                    r.buffer_total_size += b.len();
                    r.messages.push(b);
                    r.message_queue_offsets.push(offset + (i / CQ_UNIT) as i64);
                    r.status = GetMessageStatus::Found;
                    next_phy_file_start = i64::MIN;
                }
                None => {
                    if r.buffer_total_size == 0 {
                        r.status = GetMessageStatus::MessageWasRemoving;
                    }
                    next_phy_file_start =
                        e.phy_offset + log_file - e.phy_offset.rem_euclid(log_file);
                }
            }
            i += CQ_UNIT;
        }
        r.next_begin_offset = offset + (i / CQ_UNIT) as i64;
    }

    /// Next logical offset of a queue (= entry count), 0 if none.
    pub fn max_offset_in_queue(&self, topic: &str, queue_id: i32) -> i64 {
        self.inner
            .cqs
            .find(topic, queue_id)
            .map_or(0, |q| q.max_offset())
    }

    /// Smallest logical offset still present (0 if none).
    pub fn min_offset_in_queue(&self, topic: &str, queue_id: i32) -> i64 {
        self.inner
            .cqs
            .find(topic, queue_id)
            .map_or(0, |q| q.min_offset())
    }

    fn store_time_of(&self, cq: &ConsumeQueue, idx: i64) -> Option<i64> {
        let e = cq.entry(idx)?;
        let rec = self
            .inner
            .log
            .read(e.phy_offset, usize::try_from(e.size).ok()?)?;
        RecordView::decode(&rec, false)
            .ok()
            .map(|(v, _)| v.store_timestamp)
    }

    /// Logical offset for a time (Java `getOffsetInQueueByTime`): the message stored at
    /// `timestamp_ms`, else the nearer neighbour; min if before all, last if after all.
    pub fn offset_by_timestamp(&self, topic: &str, queue_id: i32, timestamp_ms: i64) -> i64 {
        let Some(cq) = self.inner.cqs.find(topic, queue_id) else {
            return 0;
        };
        let (min, max) = (cq.min_offset(), cq.max_offset());
        if max <= min {
            return 0;
        }
        let (mut lo, mut hi) = (min, max);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.store_time_of(&cq, mid) {
                Some(t) if t < timestamp_ms => lo = mid + 1,
                Some(_) => hi = mid,
                None => lo = mid + 1,
            }
        }
        if lo == min {
            return min;
        }
        if lo >= max {
            return max - 1;
        }
        let right = self.store_time_of(&cq, lo).unwrap_or(i64::MAX);
        if right == timestamp_ms {
            return lo;
        }
        let left = self.store_time_of(&cq, lo - 1).unwrap_or(i64::MIN);
        if (timestamp_ms - left).abs() > (right - timestamp_ms).abs() {
            lo
        } else {
            lo - 1
        }
    }

    /// Store time of the oldest message of a queue.
    pub fn earliest_message_time(&self, topic: &str, queue_id: i32) -> Option<i64> {
        let cq = self.inner.cqs.find(topic, queue_id)?;
        self.store_time_of(&cq, cq.min_offset())
    }

    /// Store time of the message at a logical offset.
    pub fn message_store_time(&self, topic: &str, queue_id: i32, offset: i64) -> Option<i64> {
        let cq = self.inner.cqs.find(topic, queue_id)?;
        self.store_time_of(&cq, offset)
    }

    /// Commit-log offset of the message at a logical offset.
    pub fn commit_log_offset_in_queue(
        &self,
        topic: &str,
        queue_id: i32,
        offset: i64,
    ) -> Option<i64> {
        let e = self.inner.cqs.find(topic, queue_id)?.entry(offset)?;
        (!e.is_filler()).then_some(e.phy_offset)
    }

    /// One whole stored record at a commit-log offset (zero-copy).
    pub fn look_message_by_offset(&self, commit_log_offset: i64) -> Option<Bytes> {
        self.inner.log.read_record(commit_log_offset)
    }

    /// Records indexed under `topic#key` stored within `[begin_ms, end_ms]`, newest first (hash
    /// collisions possible: callers compare keys).
    pub fn query_message(
        &self,
        topic: &str,
        key: &str,
        max_num: usize,
        begin_ms: i64,
        end_ms: i64,
    ) -> QueryResult {
        let Some(index) = &self.inner.index else {
            return QueryResult::default();
        };
        let (offsets, ts, phy) = index.query(&format!("{topic}#{key}"), max_num, begin_ms, end_ms);
        QueryResult {
            messages: offsets
                .into_iter()
                .filter_map(|o| self.inner.log.read_record(o))
                .collect(),
            index_last_update_timestamp: ts,
            index_last_update_phyoffset: phy,
        }
    }

    /// Store timestamp of the oldest message in the commit log (its first record).
    pub fn oldest_message_store_time(&self) -> Option<i64> {
        let rec = self.inner.log.read_record(self.inner.log.min_offset())?;
        RecordView::decode(&rec, false)
            .ok()
            .map(|(v, _)| v.store_timestamp)
    }

    /// Commit-log write offset.
    pub fn max_phy_offset(&self) -> i64 {
        self.inner.log.max_offset()
    }

    /// Commit-log smallest offset.
    pub fn min_phy_offset(&self) -> i64 {
        self.inner.log.min_offset()
    }

    /// Commit-log offset up to which consume queues and index are built.
    pub fn dispatched_phy_offset(&self) -> i64 {
        self.inner.dispatcher.reput()
    }
}
