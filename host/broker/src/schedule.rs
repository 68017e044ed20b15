//! Delayed delivery (`ScheduleMessageService`): messages parked in SCHEDULE_TOPIC_XXXX queue
//! `level - 1` are re-stored in their REAL_TOPIC / REAL_QID once `store time + level delay` has
//! passed. One task per level; progress persisted in `config/delayOffset.json` every 10 s.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use parking_lot::Mutex;
use tokio::sync::watch;
use wasmq_protocol::body::broker::DelayOffsetWrapper;
use wasmq_protocol::message::keys;
use wasmq_protocol::message::record::RecordView;
use wasmq_store::{GetMessageStatus, MessageToStore};

use crate::broker::Broker;
use crate::config::BrokerConfig;
use crate::error::BrokerError;
use crate::persist;
use crate::requeue::{Props, message_from_record};
use crate::topics::{SCHEDULE_TOPIC, now_ms};

/// Poll interval of a level with nothing due.
const POLL: Duration = Duration::from_millis(100);
/// Back-off after a failed re-put.
const RETRY_AFTER_ERROR: Duration = Duration::from_secs(10);

/// `level -> next queue offset of SCHEDULE_TOPIC_XXXX queue level-1`.
#[derive(Debug)]
pub struct DelayOffsets {
    file: persist::JsonFile,
    table: Mutex<BTreeMap<i32, i64>>,
    dirty: AtomicBool,
}

impl DelayOffsets {
    /// Loads `config/delayOffset.json`.
    pub fn load(config: &BrokerConfig) -> Result<Self, BrokerError> {
        let path = config.config_dir().join("delayOffset.json");
        let table = persist::load::<DelayOffsetWrapper>(&path)?
            .map(|w| w.offset_table)
            .unwrap_or_default();
        Ok(Self {
            file: persist::JsonFile::new(path),
            table: Mutex::new(table),
            dirty: AtomicBool::new(false),
        })
    }

    fn get(&self, level: i32) -> i64 {
        self.table.lock().get(&level).copied().unwrap_or(0)
    }

    fn set(&self, level: i32, offset: i64) {
        self.table.lock().insert(level, offset);
        self.dirty.store(true, Ordering::Release);
    }

    /// A copy of the table.
    pub fn snapshot(&self) -> DelayOffsetWrapper {
        DelayOffsetWrapper {
            offset_table: self.table.lock().clone(),
        }
    }

    /// Writes the file if anything changed.
    pub fn persist(&self) -> Result<(), BrokerError> {
        if !self.dirty.swap(false, Ordering::AcqRel) {
            return Ok(());
        }
        self.file.save_with(|| self.snapshot()).inspect_err(|_| {
            self.dirty.store(true, Ordering::Release);
        })
    }
}

/// Starts one delivery task per delay level plus the persister.
pub fn spawn(
    b: &Arc<Broker>,
    shutdown: &watch::Receiver<bool>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let mut tasks = Vec::new();
    for (i, delay) in b.delay_levels_ms.iter().enumerate() {
        let Ok(level) = i32::try_from(i + 1) else {
            break;
        };
        let (b, mut stop, delay) = (Arc::clone(b), shutdown.clone(), *delay);
        tasks.push(tokio::spawn(async move {
            let mut wait = Duration::from_secs(1);
            loop {
                tokio::select! {
                    _ = stop.changed() => return,
                    () = tokio::time::sleep(wait) => {}
                }
                wait = deliver_due(&b, level, delay).await;
            }
        }));
    }
    let (b, mut stop) = (Arc::clone(b), shutdown.clone());
    tasks.push(tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = stop.changed() => return,
                () = tokio::time::sleep(Duration::from_secs(10)) => {}
            }
            if let Err(e) = b.delay_offsets.persist() {
                tracing::error!(cause = %e, "cannot persist delayOffset.json");
            }
        }
    }));
    tasks
}

/// Re-stores every due message of one level; returns how long to wait before the next pass.
async fn deliver_due(b: &Broker, level: i32, delay_ms: i64) -> Duration {
    let queue_id = level - 1;
    loop {
        let offset = b.delay_offsets.get(level);
        let r = b
            .store
            .get_messages(SCHEDULE_TOPIC, queue_id, offset, 32, &|_| true);
        if r.status != GetMessageStatus::Found {
            if r.next_begin_offset != offset
                && matches!(
                    r.status,
                    GetMessageStatus::OffsetTooSmall | GetMessageStatus::OffsetOverflowBadly
                )
            {
                b.delay_offsets.set(level, r.next_begin_offset);
                continue;
            }
            return POLL;
        }
        for (bytes, queue_offset) in r.messages.iter().zip(&r.message_queue_offsets) {
            let rec = match RecordView::decode(bytes, false) {
                Ok((rec, _)) => rec,
                Err(e) => {
                    tracing::error!(level, queue_offset, cause = %e, "unreadable delayed message skipped");
                    b.delay_offsets.set(level, queue_offset + 1);
                    continue;
                }
            };
            let due = rec.store_timestamp + delay_ms;
            let now = now_ms();
            if due > now {
                let ms = u64::try_from(due - now).unwrap_or(0);
                return Duration::from_millis(ms).min(POLL);
            }
            let Some(msg) = restore(b, &rec, bytes) else {
                tracing::warn!(
                    level,
                    queue_offset,
                    "delayed message without REAL_TOPIC dropped"
                );
                b.delay_offsets.set(level, queue_offset + 1);
                continue;
            };
            match b.store.put_message(msg).await {
                Ok(_) => b.delay_offsets.set(level, queue_offset + 1),
                Err(e) => {
                    tracing::error!(level, queue_offset, cause = %e, "delayed delivery failed; retrying");
                    return RETRY_AFTER_ERROR;
                }
            }
        }
    }
}

/// The message as it goes to its real topic: DELAY cleared, REAL_TOPIC / REAL_QID kept.
fn restore(b: &Broker, rec: &RecordView<'_>, bytes: &bytes::Bytes) -> Option<MessageToStore> {
    let mut props = Props::parse(rec.properties);
    let topic = props.get(keys::REAL_TOPIC)?.to_owned();
    let queue_id = props
        .get(keys::REAL_QID)
        .and_then(|q| q.parse().ok())
        .unwrap_or(0);
    props.remove(keys::DELAY);
    Some(message_from_record(b, rec, bytes, topic, queue_id, &props))
}
