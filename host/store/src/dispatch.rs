//! Dispatch (reput): reads new commit-log records and writes consume-queue units and index
//! entries, then calls the arrival listener. Everything is derived from the stored record, so
//! replaying after a crash rebuilds exactly what a live run wrote.

use crate::commit_log::CommitLog;
use crate::consume_queue::CqEntry;
use crate::error::StoreError;
use crate::index::IndexService;
use crate::queues::ConsumeQueues;
use crate::types::ArrivalListener;
use parking_lot::RwLock;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use wasmq_protocol::message::flags::{
    TRANSACTION_COMMIT_TYPE, TRANSACTION_NOT_TYPE, TRANSACTION_ROLLBACK_TYPE, transaction_value,
};
use wasmq_protocol::message::record::BLANK_MAGIC_CODE;
use wasmq_protocol::message::{RecordView, keys, property, tags_hash_code};

/// Topic whose tags code is the delivery time.
pub(crate) const SCHEDULE_TOPIC: &str = "SCHEDULE_TOPIC_XXXX";

/// The dispatch state.
pub(crate) struct Dispatcher {
    reput: AtomicI64,
    logics_ts: AtomicI64,
    index_ts: AtomicI64,
    delay_levels: Vec<i64>,
    listener: RwLock<Option<ArrivalListener>>,
    stop: AtomicBool,
    /// Records the key index could not take (logged at powers of two).
    index_failures: AtomicU64,
}

impl std::fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dispatcher")
            .field("reput", &self.reput())
            .finish_non_exhaustive()
    }
}

/// Tags code of a record: TAGS hash, or delivery time for SCHEDULE_TOPIC_XXXX with a DELAY level.
pub(crate) fn tags_code(v: &RecordView<'_>, delay_levels: &[i64]) -> i64 {
    let mut code = property(v.properties, keys::TAGS).map_or(0, tags_hash_code);
    if v.topic == SCHEDULE_TOPIC
        && let Some(level) = property(v.properties, keys::DELAY).and_then(|s| s.parse::<i64>().ok())
    {
        let level = level.min(delay_levels.len() as i64);
        if level > 0 {
            let delay = usize::try_from(level - 1)
                .ok()
                .and_then(|i| delay_levels.get(i))
                .copied()
                .unwrap_or(0);
            code = v.store_timestamp + delay;
        }
    }
    code
}

/// Index keys of a record: `topic#UNIQ_KEY` and `topic#k` for each KEYS token.
pub(crate) fn index_keys(v: &RecordView<'_>) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(u) = property(v.properties, keys::UNIQ_KEY) {
        out.push(format!("{}#{u}", v.topic));
    }
    if let Some(ks) = property(v.properties, keys::KEYS) {
        out.extend(
            ks.split(' ')
                .filter(|k| !k.is_empty())
                .map(|k| format!("{}#{k}", v.topic)),
        );
    }
    out
}

impl Dispatcher {
    /// A dispatcher starting at commit-log offset `reput`.
    pub(crate) fn new(reput: i64, delay_levels: Vec<i64>) -> Self {
        Dispatcher {
            reput: AtomicI64::new(reput),
            logics_ts: AtomicI64::new(0),
            index_ts: AtomicI64::new(0),
            delay_levels,
            listener: RwLock::new(None),
            stop: AtomicBool::new(false),
            index_failures: AtomicU64::new(0),
        }
    }

    /// Commit-log offset up to which everything is dispatched.
    pub(crate) fn reput(&self) -> i64 {
        self.reput.load(Ordering::Acquire)
    }

    /// Store timestamp of the newest dispatched record (consume queues / index).
    pub(crate) fn dispatched_ts(&self) -> (i64, i64) {
        (
            self.logics_ts.load(Ordering::Acquire),
            self.index_ts.load(Ordering::Acquire),
        )
    }

    /// Installs the arrival listener.
    pub(crate) fn set_listener(&self, f: ArrivalListener) {
        *self.listener.write() = Some(f);
    }

    /// Dispatches every published record; returns how many.
    pub(crate) fn dispatch_available(
        &self,
        log: &CommitLog,
        cqs: &ConsumeQueues,
        index: Option<&IndexService>,
    ) -> Result<usize, StoreError> {
        let mut n = 0;
        loop {
            let reput = self.reput();
            if reput >= log.max_offset() {
                return Ok(n);
            }
            let Some(f) = log.files().find(reput) else {
                return Ok(n);
            };
            let off = (reput - f.start) as usize;
            let published = f.region.published();
            if off >= published {
                if published == f.region.len() {
                    self.reput.store(f.end(), Ordering::Release);
                    continue;
                }
                return Ok(n);
            }
            let Some(buf) = f.region.slice(off, published - off) else {
                return Ok(n);
            };
            let mut pos = 0usize;
            while let Some(rest) = buf.get(pos..).filter(|r| !r.is_empty()) {
                if rest
                    .get(4..8)
                    .and_then(|b| b.try_into().ok())
                    .map(u32::from_be_bytes)
                    == Some(BLANK_MAGIC_CODE)
                {
                    self.reput.store(f.end(), Ordering::Release);
                    break;
                }
                let (v, size) =
                    RecordView::decode(rest, false).map_err(|e| StoreError::Corrupt {
                        path: f.region.path().to_path_buf(),
                        reason: format!(
                            "dispatch met an invalid record at {}: {e}",
                            reput + pos as i64
                        ),
                    })?;
                self.dispatch_one(&v, size, cqs, index)?;
                pos += size;
                n += 1;
                self.reput.store(reput + pos as i64, Ordering::Release);
            }
        }
    }

    fn dispatch_one(
        &self,
        v: &RecordView<'_>,
        size: usize,
        cqs: &ConsumeQueues,
        index: Option<&IndexService>,
    ) -> Result<(), StoreError> {
        let tran = transaction_value(v.sys_flag);
        if tran == TRANSACTION_NOT_TYPE || tran == TRANSACTION_COMMIT_TYPE {
            let code = tags_code(v, &self.delay_levels);
            let cq = cqs.find_or_create(v.topic, v.queue_id)?;
            let entry = CqEntry {
                phy_offset: v.physical_offset,
                size: size as i32,
                tags_code: code,
            };
            if cq.put(v.queue_offset, entry)?
                && let Some(l) = self.listener.read().as_ref()
            {
                l(v.topic, v.queue_id, v.queue_offset + 1, code);
            }
        }
        self.logics_ts.store(v.store_timestamp, Ordering::Release);
        if let Some(index) = index {
            // As Java's IndexService: a record the index cannot take (no space for a new index
            // file) is skipped, logged, and dispatch goes on; consume queues, and so consumers,
            // never wait for the key index.
            if tran != TRANSACTION_ROLLBACK_TYPE
                && let Err(e) = index.build(&index_keys(v), v.physical_offset, v.store_timestamp)
            {
                let skipped = self.index_failures.fetch_add(1, Ordering::Relaxed) + 1;
                if skipped.is_power_of_two() {
                    tracing::error!(
                        cause = %e,
                        offset = v.physical_offset,
                        skipped,
                        "index entry skipped; queries by key will miss this message"
                    );
                }
            }
            self.index_ts.store(v.store_timestamp, Ordering::Release);
        }
        Ok(())
    }

    /// Thread body: dispatch whenever the commit log grows, until stopped (then catches up).
    ///
    /// While records keep arriving it polls every millisecond (as Java's reput does) so
    /// appenders never pay a cross-thread wake; after 100 ms idle it parks until an append
    /// rings it.
    pub(crate) fn run(&self, log: &CommitLog, cqs: &ConsumeQueues, index: Option<&IndexService>) {
        let mut last_work = Instant::now();
        loop {
            let stopping = self.stop.load(Ordering::Acquire);
            match self.dispatch_available(log, cqs, index) {
                Ok(n) if n > 0 => last_work = Instant::now(),
                Ok(_) => {}
                Err(e) => {
                    tracing::error!(cause = %e, "dispatch failed; retrying in 1 s");
                    log.appended
                        .park(Duration::from_secs(1), || self.stop.load(Ordering::Acquire));
                }
            }
            if stopping {
                return;
            }
            if last_work.elapsed() < Duration::from_millis(100) {
                std::thread::sleep(Duration::from_millis(1));
            } else {
                log.appended.park(Duration::from_millis(200), || {
                    self.reput() < log.max_offset() || self.stop.load(Ordering::Acquire)
                });
            }
        }
    }

    /// Asks the thread to catch up and return.
    pub(crate) fn stop(&self, log: &CommitLog) {
        self.stop.store(true, Ordering::Release);
        log.appended.ring_always();
    }
}
