//! `MessageStore`: the public facade tying commit log, consume queues, index, flush, dispatch
//! and recovery together (`DefaultMessageStore`).

use crate::allocate::{self, Allocator};
use crate::checkpoint::{AbortMarker, Checkpoint, lock_dir};
use crate::clean::{self, Cleaner};
use crate::cleanup::CleanupEnv;
use crate::commit_log::{AppendCommon, AppendItem, AppendResult, CommitLog};
use crate::config::{FlushDiskType, StoreConfig};
use crate::consume_queue::CQ_UNIT;
use crate::dispatch::Dispatcher;
use crate::error::{StoreError, is_no_space};
use crate::flush::{self, FlushService, Poison};
use crate::index::IndexService;
use crate::queues::ConsumeQueues;
use crate::recovery::{RecoveryMode, recover_commit_log};
use crate::signal::Wakeup;
use crate::types::*;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;
use wasmq_protocol::message::body_crc;

/// State shared with the background threads.
#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) config: StoreConfig,
    pub(crate) log: Arc<CommitLog>,
    pub(crate) cqs: Arc<ConsumeQueues>,
    pub(crate) index: Option<Arc<IndexService>>,
    pub(crate) flush: Arc<FlushService>,
    pub(crate) poison: Arc<Poison>,
    pub(crate) dispatcher: Arc<Dispatcher>,
    pub(crate) allocator: Arc<Allocator>,
    pub(crate) abort: AbortMarker,
    pub(crate) maintenance: Wakeup,
    pub(crate) stopping: AtomicBool,
    pub(crate) put_failed: AtomicU64,
    pub(crate) cleaner: Arc<Cleaner>,
}

#[derive(Debug, Default)]
struct Threads {
    alloc: Option<JoinHandle<()>>,
    flush: Option<JoinHandle<()>>,
    dispatch: Option<JoinHandle<()>>,
    maintenance: Option<JoinHandle<()>>,
    clean: Option<JoinHandle<()>>,
}

/// The message store (`DefaultMessageStore`). `Send + Sync`, shared as `Arc<MessageStore>`.
///
/// Appends run on the caller's thread under the commit-log lock; durability (SYNC_FLUSH) is
/// awaited on a oneshot answered by the group-commit flush thread. Background threads: file
/// pre-allocation, commit-log flush, dispatch (reput), consume-queue/index flush + checkpoint,
/// clean-up (`clean` module: retention, disk watermarks).
#[derive(Debug)]
pub struct MessageStore {
    pub(crate) inner: Arc<Inner>,
    threads: Mutex<Threads>,
    shut: AtomicBool,
    recovery: RecoveryMode,
    /// The directory lock, released at the end of `shutdown`.
    lock: Mutex<Option<std::fs::File>>,
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
    /// The clean-up service uses the system clock and `statvfs` ([`CleanupEnv::default`]).
    pub fn open(config: StoreConfig) -> Result<Arc<MessageStore>, StoreError> {
        Self::open_with(config, CleanupEnv::default())
    }

    /// [`open`](Self::open) with the clean-up service's clock and disk probe given.
    pub fn open_with(
        config: StoreConfig,
        env: CleanupEnv,
    ) -> Result<Arc<MessageStore>, StoreError> {
        let root = config.store_path_root_dir.clone();
        std::fs::create_dir_all(&root).map_err(|e| StoreError::io(&root, e))?;
        let lock = lock_dir(&root.join("lock"))?;
        let abort_path = config.abort_path();
        let kind = if AbortMarker::exists(&abort_path) {
            RecoveryMode::Abnormal
        } else {
            RecoveryMode::Normal
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
            RecoveryMode::Normal => cqs.max_phy_end(),
            RecoveryMode::Abnormal => rec.scan_start,
        }
        .min(redo_index_from)
        .clamp(min_phy, rec.end);
        let position = Arc::new(std::sync::atomic::AtomicI64::new(rec.end));
        let allocator = Arc::new(Allocator::new(config.commit_log_dir(), cl_size, position));
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
        // Give the checkpoint its block now (same content), so later rewrites in place need no
        // allocation on a full disk.
        if let Err(e) = checkpoint.store(&config.checkpoint_path()) {
            match e {
                StoreError::Io { ref source, .. } if is_no_space(source) => {
                    tracing::warn!(cause = %e, "cannot write the checkpoint: disk full");
                }
                other => return Err(other),
            }
        }
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
            cleaner: Arc::new(Cleaner::new(env)),
        });
        clean::correct_all_min_offsets(&inner);
        inner.cleaner.update_disk(&inner.config);
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
        let c = Arc::clone(&inner);
        threads.clean = Some(spawn_named("wasmq-store-clean", move || clean::run(c))?);
        Ok(Arc::new(MessageStore {
            inner,
            threads: Mutex::new(threads),
            shut: AtomicBool::new(false),
            recovery: kind,
            lock: Mutex::new(Some(lock)),
        }))
    }

    /// The recovery mode this open ran.
    pub fn recovery_mode(&self) -> RecoveryMode {
        self.recovery
    }

    fn check_writable(&self) -> Result<(), StoreError> {
        if self.shut.load(Ordering::Acquire) {
            return Err(StoreError::ServiceNotAvailable(
                "message store is shut down".into(),
            ));
        }
        self.inner.poison.check()?;
        self.inner.cleaner.check_put(&self.inner.config)
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

    /// Installs the callback fired by dispatch for each new consume-queue unit.
    pub fn set_arrival_listener(&self, f: ArrivalListener) {
        self.inner.dispatcher.set_listener(f);
    }

    /// Deletes the consume queues (and queue offsets) of these topics.
    pub fn delete_topics(&self, topics: &[String]) {
        for t in topics {
            self.inner.cqs.remove_topic(t);
            self.inner.cleaner.retention.forget_topic(t);
        }
        self.inner.log.remove_topics(topics);
    }

    /// Runtime statistics.
    pub fn runtime_stats(&self) -> StoreStats {
        let (puts, bytes) = self.inner.log.put_stats();
        let files = self.inner.log.files();
        let (cl_deleted, cq_deleted, index_deleted) = self.inner.cleaner.deleted_totals();
        StoreStats {
            put_message_times_total: puts,
            put_message_size_total: bytes,
            put_message_failed_times: self.inner.put_failed.load(Ordering::Relaxed),
            commit_log_min_offset: self.min_phy_offset(),
            commit_log_max_offset: self.max_phy_offset(),
            commit_log_flushed_offset: self.inner.flush.flushed(),
            commit_log_flush_count: self.inner.flush.flush_count(),
            dispatch_offset: self.inner.dispatcher.reput(),
            commit_log_disk_bytes: (files.len() * files.file_size()) as u64,
            consume_queue_count: self.inner.cqs.count(),
            index_file_count: self.inner.index.as_ref().map_or(0, |i| i.len()),
            poisoned: self.inner.poison.is_poisoned(),
            disk_used_ratio: self.inner.cleaner.disk_ratio(),
            disk_full: self.inner.cleaner.is_disk_full(),
            commit_log_file_count: files.len(),
            oldest_message_store_time: self.oldest_message_store_time(),
            commit_log_files_deleted_total: cl_deleted,
            consume_queue_files_deleted_total: cq_deleted,
            index_files_deleted_total: index_deleted,
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
        i.cleaner.stop();
        join(t.clean.take());
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
        drop(self.lock.lock().take());
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
    let mut checkpoint_no_space = false;
    loop {
        let stopping = i.stopping.load(Ordering::Acquire);
        if !stopping {
            i.maintenance
                .park(period, || i.stopping.load(Ordering::Acquire));
        }
        i.flush.expire_overdue();
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
                match cp.store(&i.config.checkpoint_path()) {
                    Ok(()) => checkpoint_no_space = false,
                    // No space to write it: the previous checkpoint stays, and older
                    // timestamps only make a crash recovery replay more. Not a durability
                    // failure, so no poison; retried next period.
                    Err(StoreError::Io { ref source, .. }) if is_no_space(source) => {
                        if !checkpoint_no_space {
                            tracing::warn!("checkpoint not written: disk full; retrying");
                        }
                        checkpoint_no_space = true;
                    }
                    Err(e) => i.poison.poison(format!("writing checkpoint failed: {e}")),
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
