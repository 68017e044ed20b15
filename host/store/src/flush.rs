//! Commit-log flushing: ASYNC_FLUSH timer and SYNC_FLUSH group commit; a failed flush poisons.
//!
//! SYNC_FLUSH: a writer registers (target offset, oneshot) and rings the flush thread; the
//! thread takes every pending request, msyncs once up to the current write position and answers
//! all requests it covered, so concurrent writers share one flush. Writers still waiting after
//! `syncFlushTimeout` are answered `FlushDiskTimeout` by the maintenance thread.

use crate::commit_log::CommitLog;
use crate::config::{FlushDiskType, StoreConfig};
use crate::error::StoreError;
use crate::mmap::PAGE_SIZE;
use crate::signal::Wakeup;
use crate::types::PutStatus;
use parking_lot::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// Set once a flush fails; every later write is refused.
#[derive(Debug, Default)]
pub(crate) struct Poison {
    flag: AtomicBool,
    cause: Mutex<Option<String>>,
}

impl Poison {
    /// Records the first failure.
    pub(crate) fn poison(&self, cause: String) {
        let mut c = self.cause.lock();
        if c.is_none() {
            tracing::error!(cause = %cause, "flush failed: store poisoned, writes refused until restart");
            *c = Some(cause);
        }
        self.flag.store(true, Ordering::SeqCst);
    }

    /// Whether poisoned.
    pub(crate) fn is_poisoned(&self) -> bool {
        self.flag.load(Ordering::Acquire)
    }

    /// `Err(Poisoned)` if poisoned.
    pub(crate) fn check(&self) -> Result<(), StoreError> {
        if self.is_poisoned() {
            Err(self.error())
        } else {
            Ok(())
        }
    }

    /// The poisoned error.
    pub(crate) fn error(&self) -> StoreError {
        StoreError::Poisoned {
            cause: self.cause.lock().clone().unwrap_or_default(),
        }
    }
}

/// Reply to a sync-flush waiter.
pub(crate) type FlushReply = Result<PutStatus, StoreError>;

struct Request {
    target: i64,
    deadline: Instant,
    reply: oneshot::Sender<FlushReply>,
}

/// The commit-log flush service state shared by writers and the flush thread.
pub(crate) struct FlushService {
    mode: FlushDiskType,
    interval: Duration,
    least_bytes: i64,
    sync_timeout: Duration,
    requests: Mutex<Vec<Request>>,
    wakeup: Wakeup,
    flushed: AtomicI64,
    flush_count: AtomicU64,
    /// Store timestamp of the newest record known durable (checkpoint `physicMsgTimestamp`).
    flushed_store_ts: AtomicI64,
    stop: AtomicBool,
    /// Set (under the `requests` lock) once the thread answered its last requests.
    exited: AtomicBool,
    /// Test hook: fail the next flush with this message.
    inject_failure: Mutex<Option<String>>,
    /// Told the duration of every successful msync (metrics); set at most once.
    observer: OnceLock<FlushObserver>,
}

/// Receives the duration of each successful commit-log flush, on the flush thread.
pub type FlushObserver = Box<dyn Fn(Duration) + Send + Sync>;

impl std::fmt::Debug for FlushService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlushService")
            .field("mode", &self.mode)
            .field("flushed", &self.flushed.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl FlushService {
    /// A service whose durable position starts at `flushed` (the recovered end).
    pub(crate) fn new(cfg: &StoreConfig, flushed: i64) -> Self {
        FlushService {
            mode: cfg.flush_disk_type,
            interval: Duration::from_millis(cfg.flush_interval_commit_log_ms.max(1)),
            least_bytes: i64::from(cfg.flush_commit_log_least_pages) * PAGE_SIZE as i64,
            sync_timeout: Duration::from_millis(cfg.sync_flush_timeout_ms),
            requests: Mutex::new(Vec::new()),
            wakeup: Wakeup::default(),
            flushed: AtomicI64::new(flushed),
            flush_count: AtomicU64::new(0),
            flushed_store_ts: AtomicI64::new(0),
            stop: AtomicBool::new(false),
            exited: AtomicBool::new(false),
            inject_failure: Mutex::new(None),
            observer: OnceLock::new(),
        }
    }

    /// Durable commit-log offset.
    pub(crate) fn flushed(&self) -> i64 {
        self.flushed.load(Ordering::Acquire)
    }

    /// Flushes done.
    pub(crate) fn flush_count(&self) -> u64 {
        self.flush_count.load(Ordering::Relaxed)
    }

    /// Store timestamp of the newest durable record.
    pub(crate) fn flushed_store_ts(&self) -> i64 {
        self.flushed_store_ts.load(Ordering::Acquire)
    }

    /// Registers a waiter for durability up to `target` (SYNC_FLUSH) and rings the thread.
    pub(crate) fn request(&self, target: i64) -> oneshot::Receiver<FlushReply> {
        let (tx, rx) = oneshot::channel();
        if self.flushed() >= target {
            let _ = tx.send(Ok(PutStatus::PutOk));
            return rx;
        }
        let deadline = Instant::now() + self.sync_timeout;
        let mut reqs = self.requests.lock();
        if self.exited.load(Ordering::Acquire) {
            // Raced with shutdown after the final flush: nothing will make this durable now.
            let _ = tx.send(Err(StoreError::ServiceNotAvailable(
                "message store is shut down".into(),
            )));
            return rx;
        }
        reqs.push(Request {
            target,
            deadline,
            reply: tx,
        });
        drop(reqs);
        self.wakeup.ring();
        rx
    }

    /// Makes the next flush fail (tests of poisoning).
    pub(crate) fn inject_failure(&self, cause: String) {
        *self.inject_failure.lock() = Some(cause);
        self.wakeup.ring_always();
    }

    /// Flushes the commit log up to its current write position (or, with `whole_pages`, up to
    /// the last page boundary below it); poisons on failure.
    ///
    /// `whole_pages` (ASYNC_FLUSH between full flushes) leaves the page being appended to dirty:
    /// msync would clean and write-protect it, and the appender's next write would then fault
    /// into the filesystem (ext4 `page_mkwrite` waiting on the journal commit msync started),
    /// stalling appends for up to the whole writeback.
    pub(crate) fn flush_now(
        &self,
        log: &CommitLog,
        poison: &Poison,
        whole_pages: bool,
    ) -> Result<(), StoreError> {
        poison.check()?;
        let ts = log.last_store_ts();
        let max = log.max_offset();
        let target = if whole_pages {
            max - max % PAGE_SIZE as i64
        } else {
            max
        };
        let from = self.flushed();
        if target <= from {
            return Ok(());
        }
        let started = Instant::now();
        let res = match self.inject_failure.lock().take() {
            Some(cause) => Err(std::io::Error::other(cause)),
            None => log.flush_range(from, target),
        };
        match res {
            Ok(()) => {
                if let Some(observe) = self.observer.get() {
                    observe(started.elapsed());
                }
                self.flush_count.fetch_add(1, Ordering::Relaxed);
                self.flushed.fetch_max(target, Ordering::AcqRel);
                if target == max {
                    self.flushed_store_ts.fetch_max(ts, Ordering::AcqRel);
                }
                Ok(())
            }
            Err(e) => {
                poison.poison(format!(
                    "msync of commit log [{from}, {target}) failed: {e}"
                ));
                Err(poison.error())
            }
        }
    }

    /// The flush thread body; returns after `stop()` with a final flush done.
    pub(crate) fn run(&self, log: &CommitLog, poison: &Poison) {
        let mut last_full = Instant::now();
        let mut last_batch = 0usize;
        loop {
            let stopping = self.stop.load(Ordering::Acquire);
            match self.mode {
                FlushDiskType::SyncFlush => {
                    if !stopping {
                        self.wakeup.park(self.interval, || {
                            !self.requests.lock().is_empty()
                                || self.stop.load(Ordering::Acquire)
                                || self.inject_failure.lock().is_some()
                        });
                    }
                    self.gather(last_batch);
                    let waiting = self.requests.lock().len();
                    let pending = waiting > 0;
                    let dirty = log.max_offset() > self.flushed();
                    if !pending && !dirty && !stopping {
                        continue;
                    }
                    let res = if dirty || self.inject_failure.lock().is_some() {
                        self.flush_now(log, poison, false)
                    } else {
                        poison.check()
                    };
                    self.answer(res, poison);
                    last_batch = waiting;
                }
                FlushDiskType::AsyncFlush => {
                    if !stopping {
                        self.wakeup.park(self.interval, || {
                            self.stop.load(Ordering::Acquire)
                                || self.inject_failure.lock().is_some()
                        });
                    }
                    let dirty = log.max_offset() - self.flushed();
                    let full_due = last_full.elapsed() >= Duration::from_secs(10);
                    let full = dirty > 0 && (full_due || stopping);
                    if full
                        || dirty >= self.least_bytes.max(1)
                        || self.inject_failure.lock().is_some()
                    {
                        let _ = self.flush_now(log, poison, !full);
                        if full {
                            last_full = Instant::now();
                        }
                    }
                    // Writers that asked anyway (none in async mode) are answered.
                    self.answer(poison.check(), poison);
                }
            }
            if stopping {
                self.exit(log, poison);
                return;
            }
        }
    }

    /// Group-commit gathering: when the previous flush served several writers, give them up to
    /// 200 µs to come back with their next appends (until as many are waiting again) so one
    /// flush covers them all instead of alternating small and large batches.
    fn gather(&self, last_batch: usize) {
        if last_batch <= 1 {
            return;
        }
        let deadline = Instant::now() + Duration::from_micros(200);
        while self.requests.lock().len() < last_batch
            && Instant::now() < deadline
            && !self.stop.load(Ordering::Acquire)
        {
            std::thread::yield_now();
        }
    }

    /// Final step: refuse new requests, flush once more and answer whatever is left.
    fn exit(&self, log: &CommitLog, poison: &Poison) {
        let remaining = {
            let mut reqs = self.requests.lock();
            self.exited.store(true, Ordering::Release);
            std::mem::take(&mut *reqs)
        };
        let res = if log.max_offset() > self.flushed() {
            self.flush_now(log, poison, false)
        } else {
            poison.check()
        };
        let flushed = self.flushed();
        for r in remaining {
            let reply = match &res {
                Err(_) => Err(poison.error()),
                Ok(()) if r.target <= flushed => Ok(PutStatus::PutOk),
                Ok(()) => Err(StoreError::ServiceNotAvailable(
                    "message store is shut down".into(),
                )),
            };
            let _ = r.reply.send(reply);
        }
    }

    /// Answers every request the last flush covered (all of them, with the poison error, if it
    /// failed). Requests stay in the shared list while their flush runs, so
    /// [`expire_overdue`](Self::expire_overdue) can answer them even if the flush hangs.
    fn answer(&self, res: Result<(), StoreError>, poison: &Poison) {
        let flushed = self.flushed();
        let now = Instant::now();
        let mut reqs = self.requests.lock();
        let all = std::mem::take(&mut *reqs);
        for r in all {
            match &res {
                Err(_) => {
                    let _ = r.reply.send(Err(poison.error()));
                }
                Ok(()) if r.target <= flushed => {
                    let status = if now > r.deadline {
                        PutStatus::FlushDiskTimeout
                    } else {
                        PutStatus::PutOk
                    };
                    let _ = r.reply.send(Ok(status));
                }
                Ok(()) => reqs.push(r),
            }
        }
    }

    /// Answers `FlushDiskTimeout` to writers waiting past `syncFlushTimeout` (their data may
    /// still become durable; it is just not known to be). Returns how many.
    pub(crate) fn expire_overdue(&self) -> usize {
        let now = Instant::now();
        let mut reqs = self.requests.lock();
        let all = std::mem::take(&mut *reqs);
        let mut n = 0;
        for r in all {
            if now > r.deadline {
                let _ = r.reply.send(Ok(PutStatus::FlushDiskTimeout));
                n += 1;
            } else {
                reqs.push(r);
            }
        }
        if n > 0 {
            tracing::warn!(writers = n, "sync flush exceeded syncFlushTimeout");
        }
        n
    }

    /// Asks the thread to do a final flush and return.
    pub(crate) fn stop(&self) {
        self.stop.store(true, Ordering::Release);
        self.wakeup.ring_always();
    }
}

impl crate::MessageStore {
    /// Installs `observer`, told how long each successful commit-log flush (msync) took (for
    /// metrics; it runs on the flush thread, so it must be quick). Only the first observer is
    /// kept: returns false if one was installed already.
    pub fn set_flush_observer(&self, observer: FlushObserver) -> bool {
        self.inner.flush.observer.set(observer).is_ok()
    }
}

/// Spawns the commit-log flush thread.
pub(crate) fn spawn(
    svc: Arc<FlushService>,
    log: Arc<CommitLog>,
    poison: Arc<Poison>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("wasmq-store-flush".into())
        .spawn(move || svc.run(&log, &poison))
}
