//! Retention policy beyond the native commit-log expiry: the [`RetentionAdvisor`] hook (veto or
//! allow a commit-log file deletion, per-topic retention) and per-topic logical retention.
//!
//! Per-topic retention never deletes files (the commit log is shared by every topic); it raises
//! the logical min offset of the topic's queues so pulls below it answer `OffsetTooSmall`:
//! - `retention_ms`: messages stored more than `retention_ms` before the clock's `now_ms` are
//!   out of reach (store timestamps are non-decreasing along a queue, so this is a binary
//!   search per queue);
//! - `max_bytes`: the topic keeps, over all its queues together, the newest messages whose
//!   stored record sizes (as in the commit log) sum to at most `max_bytes`; the oldest
//!   (lowest commit-log offset) go first, whichever queue they are in.
//!
//! Min offsets only move forward: relaxing a retention does not bring data back. They are
//! in memory; after a restart the native floor applies until the retention is set again.

use crate::commit_log::CommitLog;
use crate::consume_queue::{ConsumeQueue, CqEntry};
use crate::queues::ConsumeQueues;
use parking_lot::{Mutex, RwLock};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use wasmq_protocol::message::RecordView;

/// Kind of a store file offered to [`RetentionAdvisor::may_delete_file`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpiringFileKind {
    /// A commit-log file (the only kind offered today: consume-queue and index files below
    /// the commit log's min offset point at deleted data and are always removed).
    CommitLog,
    /// A consume-queue file.
    ConsumeQueue,
    /// An index file.
    Index,
}

/// A file the clean-up service is about to decide on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpiringFile {
    /// File name only (`00000000001073741824`), never a path.
    pub name: String,
    /// What the file is.
    pub kind: ExpiringFileKind,
    /// The topic for consume-queue files; empty otherwise.
    pub topic: String,
    /// File size.
    pub size_bytes: u64,
    /// Commit-log offset of the file's first byte.
    pub first_offset: u64,
    /// The file's age basis, ms: the store timestamp of the first record after it (when it was
    /// closed; an upper bound of its newest message), else its newest record's, else mtime.
    pub last_modified_ms: u64,
    /// Whether the native rule deletes it in this pass (expired, or forced by disk pressure).
    pub expired: bool,
}

/// Per-topic retention; `None` fields keep the default (no limit).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TopicRetention {
    /// Messages older than this (ms, by store timestamp) are out of reach.
    pub retention_ms: Option<u64>,
    /// At most this many bytes of stored records stay reachable, over all the topic's queues.
    pub max_bytes: Option<u64>,
}

impl TopicRetention {
    /// Field-wise: `self`'s value where set, else `base`'s.
    fn or(self, base: TopicRetention) -> TopicRetention {
        TopicRetention {
            retention_ms: self.retention_ms.or(base.retention_ms),
            max_bytes: self.max_bytes.or(base.max_bytes),
        }
    }

    fn is_none(&self) -> bool {
        self.retention_ms.is_none() && self.max_bytes.is_none()
    }
}

/// Retention policy hook (the broker adapts the plugin host to it). A `None` answer, or a
/// panic, means "the native rule decides".
pub trait RetentionAdvisor: Send + Sync {
    /// Asked for each commit-log file a clean-up pass reaches (oldest first, never the file
    /// being written) when the pass deletes at all (deleteWhen hour, disk above
    /// diskMaxUsedSpaceRatio, manual trigger). `Some(false)` keeps the file (and, files being
    /// deleted oldest first, every newer one this pass) even under disk pressure; `Some(true)`
    /// deletes it even if not expired.
    fn may_delete_file(&self, file: &ExpiringFile, now_ms: u64) -> Option<bool>;
    /// Asked for every topic with consume queues on every pass; fields set here override the
    /// ones given to `MessageStore::set_topic_retention`.
    fn retention_for_topic(&self, topic: &str, now_ms: u64) -> Option<TopicRetention>;
}

/// Running byte count of one queue: units `[cut, counted_to)` hold `bytes`.
#[derive(Debug, Clone, Copy, Default)]
struct ByteCut {
    cut: i64,
    counted_to: i64,
    bytes: u64,
}

/// Advisor, configured retentions and the byte-retention state.
#[derive(Default)]
pub(crate) struct Retention {
    advisor: RwLock<Option<Arc<dyn RetentionAdvisor>>>,
    configured: Mutex<HashMap<String, TopicRetention>>,
    byte_state: Mutex<HashMap<String, HashMap<i32, ByteCut>>>,
}

impl std::fmt::Debug for Retention {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Retention")
            .field("advisor", &self.advisor.read().is_some())
            .field("configured", &*self.configured.lock())
            .finish_non_exhaustive()
    }
}

fn record_store_ts(log: &CommitLog, e: &CqEntry) -> Option<i64> {
    let rec = log.read(e.phy_offset, usize::try_from(e.size).ok()?)?;
    RecordView::decode(&rec, false)
        .ok()
        .map(|(v, _)| v.store_timestamp)
}

fn unit_bytes(e: &CqEntry) -> u64 {
    if e.is_filler() {
        0
    } else {
        u64::try_from(e.size).unwrap_or(0)
    }
}

impl Retention {
    /// Installs or removes the advisor.
    pub(crate) fn set_advisor(&self, a: Option<Arc<dyn RetentionAdvisor>>) {
        *self.advisor.write() = a;
    }

    /// The advisor's verdict on a file (`None`: no advisor, no opinion, or it panicked).
    pub(crate) fn may_delete(&self, file: &ExpiringFile, now_ms: u64) -> Option<bool> {
        let a = self.advisor.read().clone()?;
        catch_unwind(AssertUnwindSafe(|| a.may_delete_file(file, now_ms))).unwrap_or_else(|_| {
            tracing::warn!(file = %file.name, "retention advisor panicked in may_delete_file; native rule applies");
            None
        })
    }

    /// Records (or with both `None` removes) the configured retention of a topic.
    pub(crate) fn configure(&self, topic: &str, r: TopicRetention) {
        let mut c = self.configured.lock();
        if r.is_none() {
            c.remove(topic);
        } else {
            c.insert(topic.to_owned(), r);
        }
    }

    /// Forgets the byte state of deleted topics.
    pub(crate) fn forget_topic(&self, topic: &str) {
        self.byte_state.lock().remove(topic);
    }

    /// The configured retention of `topic` with the advisor's fields on top.
    pub(crate) fn effective(&self, topic: &str, now_ms: u64) -> TopicRetention {
        let base = self
            .configured
            .lock()
            .get(topic)
            .copied()
            .unwrap_or_default();
        let Some(a) = self.advisor.read().clone() else {
            return base;
        };
        match catch_unwind(AssertUnwindSafe(|| a.retention_for_topic(topic, now_ms))) {
            Ok(Some(r)) => r.or(base),
            Ok(None) => base,
            Err(_) => {
                tracing::warn!(
                    topic,
                    "retention advisor panicked in retention_for_topic; configured retention applies"
                );
                base
            }
        }
    }

    /// Applies every topic's effective retention; returns how many queues' min offsets moved.
    pub(crate) fn apply_all(&self, cqs: &ConsumeQueues, log: &CommitLog, now_ms: u64) -> usize {
        let mut moved = 0;
        for topic in cqs.topics() {
            let r = self.effective(&topic, now_ms);
            moved += self.apply_topic(&topic, cqs, log, now_ms, r);
        }
        moved
    }

    /// Applies retention `r` to `topic`'s queues now; returns how many min offsets moved.
    pub(crate) fn apply_topic(
        &self,
        topic: &str,
        cqs: &ConsumeQueues,
        log: &CommitLog,
        now_ms: u64,
        r: TopicRetention,
    ) -> usize {
        let mut states = self.byte_state.lock();
        if r.max_bytes.is_none() {
            states.remove(topic);
        }
        if r.is_none() {
            return 0;
        }
        let queues = cqs.topic_queues(topic);
        let before: Vec<i64> = queues.iter().map(|(_, q)| q.min_offset()).collect();
        if let Some(ms) = r.retention_ms {
            let cutoff = i64::try_from(now_ms.saturating_sub(ms)).unwrap_or(i64::MAX);
            for (_, q) in &queues {
                let idx = q.first_kept(|e| record_store_ts(log, e).is_some_and(|t| t >= cutoff));
                q.raise_min_offset(idx);
            }
        }
        if let Some(max_bytes) = r.max_bytes {
            let state = states.entry(topic.to_owned()).or_default();
            state.retain(|qid, _| queues.iter().any(|(q, _)| q == qid));
            for (qid, cut) in byte_cuts(&queues, max_bytes, state) {
                if let Some((_, q)) = queues.iter().find(|(q, _)| *q == qid) {
                    q.raise_min_offset(cut);
                }
            }
        }
        let moved = queues
            .iter()
            .zip(&before)
            .filter(|((_, q), b)| q.min_offset() > **b)
            .count();
        if moved > 0 {
            tracing::info!(
                topic,
                ?r,
                queues = moved,
                "topic retention moved min offsets"
            );
        }
        moved
    }
}

/// Brings one queue's running count to `[max(min, cut), max)`.
fn refresh(q: &ConsumeQueue, st: &mut ByteCut) {
    let (min, max) = (q.min_offset(), q.max_offset());
    if st.counted_to > max || st.cut > st.counted_to {
        *st = ByteCut::default();
    }
    if st.counted_to == 0 && st.bytes == 0 {
        st.cut = min;
        st.counted_to = min;
    }
    while st.cut < min.min(st.counted_to) {
        match q.entry(st.cut) {
            Some(e) => {
                st.bytes = st.bytes.saturating_sub(unit_bytes(&e));
                st.cut += 1;
            }
            None => break,
        }
    }
    if st.cut < min {
        // Units vanished (files deleted) or the floor jumped past the counted range: recount.
        *st = ByteCut {
            cut: min,
            counted_to: min,
            bytes: 0,
        };
    }
    while st.counted_to < max {
        let Some(e) = q.entry(st.counted_to) else {
            break;
        };
        st.bytes += unit_bytes(&e);
        st.counted_to += 1;
    }
}

/// New per-queue cuts so the topic keeps at most `max_bytes`, dropping the globally oldest
/// units first (amortised: each unit is counted and dropped once).
fn byte_cuts(
    queues: &[(i32, Arc<ConsumeQueue>)],
    max_bytes: u64,
    state: &mut HashMap<i32, ByteCut>,
) -> Vec<(i32, i64)> {
    let mut total = 0u64;
    for (qid, q) in queues {
        let st = state.entry(*qid).or_default();
        refresh(q, st);
        total += st.bytes;
    }
    let mut heap = BinaryHeap::new();
    for (qid, q) in queues {
        if let Some(st) = state.get(qid)
            && st.cut < st.counted_to
            && let Some(e) = q.entry(st.cut)
        {
            heap.push(Reverse((e.phy_offset, *qid)));
        }
    }
    while total > max_bytes {
        let Some(Reverse((_, qid))) = heap.pop() else {
            break;
        };
        let (Some(st), Some((_, q))) =
            (state.get_mut(&qid), queues.iter().find(|(q, _)| *q == qid))
        else {
            continue;
        };
        if let Some(e) = q.entry(st.cut) {
            total = total.saturating_sub(unit_bytes(&e));
            st.bytes = st.bytes.saturating_sub(unit_bytes(&e));
        }
        st.cut += 1;
        if st.cut < st.counted_to
            && let Some(e) = q.entry(st.cut)
        {
            heap.push(Reverse((e.phy_offset, qid)));
        }
    }
    state.iter().map(|(q, st)| (*q, st.cut)).collect()
}
