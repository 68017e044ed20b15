//! `MessageStore`: the public facade tying commit log, consume queues, index, flush, dispatch
//! and recovery together (`DefaultMessageStore`).

use crate::allocate::{self, Allocator};
use crate::checkpoint::{AbortMarker, Checkpoint};
use crate::commit_log::{AppendCommon, AppendItem, AppendResult, CommitLog};
use crate::config::{FlushDiskType, StoreConfig};
use crate::consume_queue::{CQ_UNIT, ConsumeQueue, CqEntry};
use crate::dispatch::Dispatcher;
use crate::error::StoreError;
use crate::flush::{self, FlushService, Poison};
use crate::index::IndexService;
use crate::queues::ConsumeQueues;
use crate::recovery::{RecoveryKind, recover_commit_log};
use crate::signal::Wakeup;
use crate::types::*;
use bytes::Bytes;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;
use wasmq_protocol::message::{RecordView, body_crc};

/// Pull batch limits for data in page cache (`maxTransferBytesOnMessageInMemory`, count).
const MAX_TRANSFER_BYTES: usize = 256 * 1024;
const MAX_TRANSFER_COUNT: usize = 32;

/// State shared with the background threads.
#[derive(Debug)]
struct Inner {
    config: StoreConfig,
    log: Arc<CommitLog>,
    cqs: Arc<ConsumeQueues>,
    index: Option<Arc<IndexService>>,
    flush: Arc<FlushService>,
    poison: Arc<Poison>,
    dispatcher: Arc<Dispatcher>,
    allocator: Arc<Allocator>,
    abort: AbortMarker,
    maintenance: Wakeup,
    stopping: AtomicBool,
    put_failed: AtomicU64,
}

#[derive(Debug, Default)]
struct Threads {
    alloc: Option<JoinHandle<()>>,
    flush: Option<JoinHandle<()>>,
    dispatch: Option<JoinHandle<()>>,
    maintenance: Option<JoinHandle<()>>,
}

/// The message store (`DefaultMessageStore`). `Send + Sync`, shared as `Arc<MessageStore>`.
///
/// Appends run on the caller's thread under the commit-log lock; durability (SYNC_FLUSH) is
/// awaited on a oneshot answered by the group-commit flush thread. Background threads: file
/// pre-allocation, commit-log flush, dispatch (reput), consume-queue/index flush + checkpoint.
#[derive(Debug)]
pub struct MessageStore {
    inner: Arc<Inner>,
    threads: Mutex<Threads>,
    shut: AtomicBool,
    recovery: RecoveryKind,
}

fn spawn_named(
    name: &str,
    f: impl FnOnce() + Send + 'static,
) -> Result<JoinHandle<()>, StoreError> {
    std::thread::Builder::new()
        .name(name.into())
        .spawn(f)
        .map_err(|e| StoreError::io(name, e))
}

impl MessageStore {
    /// Opens the store under `config.store_path_root_dir`, recovering (normally after a clean
    /// stop, abnormally when `abort` was left behind), and starts the background threads.
    pub fn open(config: StoreConfig) -> Result<Arc<MessageStore>, StoreError> {
        let root = config.store_path_root_dir.clone();
        std::fs::create_dir_all(&root).map_err(|e| StoreError::io(&root, e))?;
        let abort_path = config.abort_path();
        let kind = if AbortMarker::exists(&abort_path) {
            RecoveryKind::Abnormal
        } else {
            RecoveryKind::Normal
        };
        let checkpoint = Checkpoint::load(&config.checkpoint_path())?;
        let cl_size = usize::try_from(config.mapped_file_size_commit_log)
            .ok()
            .filter(|&s| s >= 4096)
            .ok_or_else(|| {
                StoreError::ServiceNotAvailable(
                    "mapped_file_size_commit_log must be >= 4096".into(),
                )
            })?;
        let cq_size = usize::try_from(config.mapped_file_size_consume_queue)
            .ok()
            .filter(|&s| s >= CQ_UNIT)
            .ok_or_else(|| {
                StoreError::ServiceNotAvailable(
                    "mapped_file_size_consume_queue must be >= 20".into(),
                )
            })?;
        let rec = recover_commit_log(
            &config.commit_log_dir(),
            cl_size,
            kind,
            &checkpoint,
            config.message_index_enable,
            config.check_crc_on_recover,
        )?;
        let cqs = Arc::new(ConsumeQueues::load(
            &config.consume_queue_dir(),
            cq_size,
            rec.end,
        )?);
        let (index, redo_index_from) = if config.message_index_enable {
            let (svc, redo) = IndexService::load(
                &config.index_dir(),
                config.max_hash_slot_num.max(1),
                config.max_index_num.max(2),
                rec.end,
            )?;
            (Some(Arc::new(svc)), redo)
        } else {
            (None, i64::MAX)
        };
        let min_phy = rec.files.first().map_or(0, |f| f.start);
        let reput_from = match kind {
            RecoveryKind::Normal => cqs.max_phy_end(),
            RecoveryKind::Abnormal => rec.scan_start,
        }
        .min(redo_index_from)
        .clamp(min_phy, rec.end);
        let allocator = Arc::new(Allocator::new(config.commit_log_dir(), cl_size));
        let (end, torn_tail) = (rec.end, rec.discarded);
        let log = Arc::new(CommitLog::new(
            rec.files,
            rec.writer,
            end,
            HashMap::new(),
            Arc::clone(&allocator),
            config.max_message_size,
        ));
        let dispatcher = Arc::new(Dispatcher::new(reput_from, config.delay_levels_ms()));
        let replayed = dispatcher.dispatch_available(&log, &cqs, index.as_deref())?;
        log.set_queue_offsets(cqs.offset_table());
        tracing::info!(
            ?kind,
            reput_from,
            end,
            replayed,
            torn_tail,
            "store recovered"
        );
        let abort = AbortMarker::create(&abort_path)?;
        let inner = Arc::new(Inner {
            flush: Arc::new(FlushService::new(&config, end)),
            config,
            log,
            cqs,
            index,
            poison: Arc::new(Poison::default()),
            dispatcher,
            allocator,
            abort,
            maintenance: Wakeup::default(),
            stopping: AtomicBool::new(false),
            put_failed: AtomicU64::new(0),
        });
        let mut threads = Threads {
            alloc: Some(
                allocate::spawn(Arc::clone(&inner.allocator))
                    .map_err(|e| StoreError::io("alloc thread", e))?,
            ),
            flush: Some(
                flush::spawn(
                    Arc::clone(&inner.flush),
                    Arc::clone(&inner.log),
                    Arc::clone(&inner.poison),
                )
                .map_err(|e| StoreError::io("flush thread", e))?,
            ),
            ..Threads::default()
        };
        let (d, l, c, i) = (
            Arc::clone(&inner.dispatcher),
            Arc::clone(&inner.log),
            Arc::clone(&inner.cqs),
            inner.index.clone(),
        );
        threads.dispatch = Some(spawn_named("wasmq-store-dispatch", move || {
            d.run(&l, &c, i.as_deref())
        })?);
        let m = Arc::clone(&inner);
        threads.maintenance = Some(spawn_named("wasmq-store-cqflush", move || maintenance(&m))?);
        Ok(Arc::new(MessageStore {
            inner,
            threads: Mutex::new(threads),
            shut: AtomicBool::new(false),
            recovery: kind,
        }))
    }

    /// Whether this open ran abnormal (crash) recovery.
    pub fn recovered_abnormally(&self) -> bool {
        self.recovery == RecoveryKind::Abnormal
    }

    fn check_writable(&self) -> Result<(), StoreError> {
        if self.shut.load(Ordering::Acquire) {
            return Err(StoreError::ServiceNotAvailable(
                "message store is shut down".into(),
            ));
        }
        self.inner.poison.check()
    }

    async fn finish(
        &self,
        res: Result<AppendResult, StoreError>,
        wait: bool,
    ) -> Result<PutResult, StoreError> {
        let res = res.inspect_err(|_| {
            self.inner.put_failed.fetch_add(1, Ordering::Relaxed);
        })?;
        let mut status = PutStatus::PutOk;
        if wait && self.inner.config.flush_disk_type == FlushDiskType::SyncFlush {
            let rx = self.inner.flush.request(res.end_offset);
            status = match rx.await {
                Ok(r) => r?,
                Err(_) => {
                    return Err(StoreError::ServiceNotAvailable(
                        "flush service stopped".into(),
                    ));
                }
            };
        }
        Ok(PutResult {
            status,
            wrote_offset: res.record_offsets.first().copied().unwrap_or(0),
            wrote_bytes: res.wrote_bytes,
            msg_num: res.record_offsets.len() as i32,
            record_offsets: res.record_offsets,
            queue_offset: res.queue_offset,
            store_timestamp: res.store_timestamp,
        })
    }

    /// Appends one message; under SYNC_FLUSH with `wait_store_ok` resolves once durable.
    pub async fn put_message(&self, msg: MessageToStore) -> Result<PutResult, StoreError> {
        self.check_writable()?;
        let common = AppendCommon {
            topic: &msg.topic,
            queue_id: msg.queue_id,
            sys_flag: msg.sys_flag,
            born_timestamp: msg.born_timestamp,
            born_host: msg.born_host,
            store_host: msg.store_host,
            reconsume_times: msg.reconsume_times,
            prepared_transaction_offset: msg.prepared_transaction_offset,
        };
        let item = AppendItem {
            flag: msg.flag,
            body: &msg.body,
            body_crc: body_crc(&msg.body),
            properties: &msg.properties,
        };
        let res = self.inner.log.append(&common, &[item]);
        self.finish(res, msg.wait_store_ok).await
    }

    /// Appends a batch: same topic/queue, consecutive queue offsets, one durability wait.
    pub async fn put_messages(&self, batch: MessageBatchToStore) -> Result<PutResult, StoreError> {
        self.check_writable()?;
        let common = AppendCommon {
            topic: &batch.topic,
            queue_id: batch.queue_id,
            sys_flag: batch.sys_flag,
            born_timestamp: batch.born_timestamp,
            born_host: batch.born_host,
            store_host: batch.store_host,
            reconsume_times: 0,
            prepared_transaction_offset: 0,
        };
        let items: Vec<AppendItem<'_>> = batch
            .items
            .iter()
            .map(|it| AppendItem {
                flag: it.flag,
                body: &it.body,
                body_crc: body_crc(&it.body),
                properties: &it.properties,
            })
            .collect();
        let res = self.inner.log.append(&common, &items);
        self.finish(res, batch.wait_store_ok).await
    }

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

    /// Installs the callback fired by dispatch for each new consume-queue unit.
    pub fn set_arrival_listener(&self, f: ArrivalListener) {
        self.inner.dispatcher.set_listener(f);
    }

    /// Deletes the consume queues (and queue offsets) of these topics.
    pub fn delete_topics(&self, topics: &[String]) {
        for t in topics {
            self.inner.cqs.remove_topic(t);
        }
        self.inner.log.remove_topics(topics);
    }

    /// Runtime statistics.
    pub fn runtime_stats(&self) -> StoreStats {
        let (puts, bytes) = self.inner.log.put_stats();
        let files = self.inner.log.files();
        StoreStats {
            put_message_times_total: puts,
            put_message_size_total: bytes,
            put_message_failed_times: self.inner.put_failed.load(Ordering::Relaxed),
            commit_log_min_offset: self.min_phy_offset(),
            commit_log_max_offset: self.max_phy_offset(),
            commit_log_flushed_offset: self.inner.flush.flushed(),
            dispatch_offset: self.inner.dispatcher.reput(),
            commit_log_disk_bytes: (files.len() * files.file_size()) as u64,
            consume_queue_count: self.inner.cqs.count(),
            index_file_count: self.inner.index.as_ref().map_or(0, |i| i.len()),
            poisoned: self.inner.poison.is_poisoned(),
        }
    }

    /// Raw bytes of a consume queue (tests compare rebuilt queues with live ones).
    #[doc(hidden)]
    pub fn consume_queue_bytes(&self, topic: &str, queue_id: i32) -> Option<Vec<u8>> {
        Some(self.inner.cqs.find(topic, queue_id)?.published_bytes())
    }

    /// Makes the next commit-log flush fail, as a disk error would (tests of poisoning).
    #[doc(hidden)]
    pub fn inject_flush_failure(&self, cause: &str) {
        self.inner.flush.inject_failure(cause.to_owned());
    }

    /// Stops the threads after dispatching and flushing everything, writes the checkpoint and
    /// deletes `abort` (kept if the store is poisoned). Idempotent; also run on drop.
    pub fn shutdown(&self) {
        if self.shut.swap(true, Ordering::AcqRel) {
            return;
        }
        let mut t = self.threads.lock();
        let i = &self.inner;
        i.dispatcher.stop(&i.log);
        join(t.dispatch.take());
        i.flush.stop();
        join(t.flush.take());
        i.allocator.stop();
        join(t.alloc.take());
        i.stopping.store(true, Ordering::Release);
        i.maintenance.ring_always();
        join(t.maintenance.take());
        if i.poison.is_poisoned() {
            tracing::warn!("store poisoned: leaving the abort marker for recovery");
        } else if let Err(e) = i.abort.remove() {
            tracing::error!(cause = %e, "removing abort marker failed");
        }
        tracing::info!(
            max_phy_offset = i.log.max_offset(),
            "message store shut down"
        );
    }
}

fn join(h: Option<JoinHandle<()>>) {
    if let Some(h) = h
        && h.join().is_err()
    {
        tracing::error!("store thread panicked");
    }
}

impl Drop for MessageStore {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Consume-queue + index flush and checkpoint, every `flush_interval_consume_queue_ms`.
fn maintenance(i: &Inner) {
    let period = Duration::from_millis(i.config.flush_interval_consume_queue_ms.max(1));
    loop {
        let stopping = i.stopping.load(Ordering::Acquire);
        if !stopping {
            i.maintenance
                .park(period, || i.stopping.load(Ordering::Acquire));
        }
        if i.poison.is_poisoned() {
            if stopping {
                return;
            }
            continue;
        }
        let (logics, index_ts) = i.dispatcher.dispatched_ts();
        let res = i
            .cqs
            .all()
            .iter()
            .try_for_each(|q| q.flush().map_err(|e| (q.dir().to_path_buf(), e)))
            .and_then(|()| {
                i.index
                    .as_ref()
                    .map_or(Ok(()), |x| x.flush().map_err(|e| (i.config.index_dir(), e)))
            });
        match res {
            Ok(()) => {
                let cp = Checkpoint {
                    physic_msg_timestamp: i.flush.flushed_store_ts(),
                    logics_msg_timestamp: logics,
                    index_msg_timestamp: index_ts,
                };
                if let Err(e) = cp.store(&i.config.checkpoint_path()) {
                    i.poison.poison(format!("writing checkpoint failed: {e}"));
                }
            }
            Err((path, e)) => i
                .poison
                .poison(format!("flushing {} failed: {e}", path.display())),
        }
        if stopping {
            return;
        }
    }
}
