//! Transactional messages (Java `TransactionalMessageServiceImpl` and its check service).
//!
//! A half message lives in RMQ_SYS_TRANS_HALF_TOPIC queue 0 with its real topic and queue saved
//! in REAL_TOPIC / REAL_QID. END_TRANSACTION commits (the message is re-stored in its real topic)
//! or rolls back; either way an op record (tag `d`, body = half queue offset) goes to
//! RMQ_SYS_TRANS_OP_HALF_TOPIC. The checker re-examines unresolved half messages older than
//! `transactionTimeOut` every `transactionCheckInterval`: it re-appends each (bumping
//! TRANSACTION_CHECK_TIMES) and asks a producer of its group with CHECK_TRANSACTION_STATE, and
//! after `transactionCheckMax` checks moves it to TRANS_CHECK_MAX_TIME_TOPIC. Resolved half
//! offsets are kept in memory, rebuilt at start from the op queue; checker progress is the
//! consumer offset of group CID_RMQ_SYS_TRANS on the half queue, as in Java.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use parking_lot::Mutex;
use rand::seq::SliceRandom;
use tokio::sync::watch;
use wasmq_protocol::header::broker::CheckTransactionStateRequestHeader;
use wasmq_protocol::message::flags::{PERM_READ, PERM_WRITE};
use wasmq_protocol::message::record::{RecordFields, RecordView, encode_record};
use wasmq_protocol::message::{keys, offset_msg_id};
use wasmq_protocol::{RemotingCommand, RequestCode};
use wasmq_store::{GetMessageStatus, MessageStore, MessageToStore, StoreError};

use crate::broker::Broker;
use crate::requeue::{Props, message_from_record};
use crate::topics::{TRANS_CHECK_MAX_TIME_TOPIC, TRANS_HALF_TOPIC, TRANS_OP_HALF_TOPIC, now_ms};

/// The system group whose offset on the half queue is the checker's progress.
pub const CHECK_GROUP: &str = "CID_RMQ_SYS_TRANS";
/// Tag of op records.
const REMOVE_TAG: &str = "d";

/// Resolved half messages.
#[derive(Debug, Default)]
pub struct Transactions {
    resolved: Mutex<BTreeSet<i64>>,
}

impl Transactions {
    /// Rebuilds the resolved set from the op queue.
    pub fn load(store: &MessageStore) -> Self {
        let mut resolved = BTreeSet::new();
        let mut offset = store.min_offset_in_queue(TRANS_OP_HALF_TOPIC, 0);
        let max = store.max_offset_in_queue(TRANS_OP_HALF_TOPIC, 0);
        while offset < max {
            let r = store.get_messages(TRANS_OP_HALF_TOPIC, 0, offset, 32, &|_| true);
            if r.status != GetMessageStatus::Found || r.next_begin_offset <= offset {
                break;
            }
            for bytes in &r.messages {
                if let Ok((rec, _)) = RecordView::decode(bytes, false) {
                    let half = std::str::from_utf8(rec.body)
                        .ok()
                        .and_then(|s| s.trim().parse::<i64>().ok());
                    resolved.extend(half);
                }
            }
            offset = r.next_begin_offset;
        }
        Self {
            resolved: Mutex::new(resolved),
        }
    }

    /// True if the half message at this queue offset was committed or rolled back.
    pub fn is_resolved(&self, half_offset: i64) -> bool {
        self.resolved.lock().contains(&half_offset)
    }

    fn forget_below(&self, half_offset: i64) {
        let mut r = self.resolved.lock();
        *r = r.split_off(&half_offset);
    }
}

/// Marks a half message resolved: writes its op record.
pub async fn write_op(b: &Broker, half_queue_offset: i64) -> Result<(), StoreError> {
    if let Err(e) = b
        .topics
        .get_or_create(TRANS_OP_HALF_TOPIC, 1, PERM_READ | PERM_WRITE)
    {
        tracing::error!(cause = %e, "cannot create the transaction op topic");
    }
    let mut props = Props::default();
    props.set(keys::TAGS, REMOVE_TAG);
    let msg = MessageToStore {
        topic: TRANS_OP_HALF_TOPIC.to_owned(),
        queue_id: 0,
        flag: 0,
        body: Bytes::from(half_queue_offset.to_string()),
        properties: props.encode(),
        sys_flag: 0,
        born_timestamp: now_ms(),
        born_host: b.store_host,
        store_host: b.store_host,
        reconsume_times: 0,
        prepared_transaction_offset: 0,
        tags_code: wasmq_protocol::message::tags_hash_code(REMOVE_TAG),
        keys: String::new(),
        uniq_key: None,
        wait_store_ok: false,
    };
    b.store.put_message(msg).await?;
    b.transactions.resolved.lock().insert(half_queue_offset);
    Ok(())
}

/// Starts the checker.
pub fn spawn(b: &Arc<Broker>, stop: &watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
    let (b, mut stop) = (Arc::clone(b), stop.clone());
    tokio::spawn(async move {
        let period = Duration::from_millis(b.config.load().transaction_check_interval.max(100));
        loop {
            tokio::select! {
                _ = stop.changed() => return,
                () = tokio::time::sleep(period) => {}
            }
            check_once(&b).await;
        }
    })
}

/// One pass over the unresolved half messages old enough to be checked.
pub async fn check_once(b: &Broker) {
    let store = &b.store;
    let mut offset = b
        .offsets
        .query(CHECK_GROUP, TRANS_HALF_TOPIC, 0)
        .unwrap_or_else(|| store.min_offset_in_queue(TRANS_HALF_TOPIC, 0));
    // Only what was there when the pass started: re-appended copies wait for the next pass.
    let end = store.max_offset_in_queue(TRANS_HALF_TOPIC, 0);
    'scan: while offset < end {
        let r = store.get_messages(TRANS_HALF_TOPIC, 0, offset, 32, &|_| true);
        if r.status != GetMessageStatus::Found {
            if r.next_begin_offset > offset {
                offset = r.next_begin_offset;
                continue;
            }
            break;
        }
        for (bytes, &queue_offset) in r.messages.iter().zip(&r.message_queue_offsets) {
            if queue_offset >= end {
                break 'scan;
            }
            if !b.transactions.is_resolved(queue_offset) {
                match check_half(b, bytes).await {
                    Ok(true) => {}
                    Ok(false) => break 'scan,
                    Err(e) => {
                        tracing::warn!(queue_offset, cause = %e, "transaction check failed; retrying next pass");
                        break 'scan;
                    }
                }
            }
            offset = queue_offset + 1;
        }
    }
    b.offsets.commit(CHECK_GROUP, TRANS_HALF_TOPIC, 0, offset);
    b.transactions.forget_below(offset);
}

/// Checks one unresolved half message; `Ok(false)` when it is too young (stop the pass there).
async fn check_half(b: &Broker, bytes: &Bytes) -> Result<bool, StoreError> {
    let Ok((rec, _)) = RecordView::decode(bytes, false) else {
        return Ok(true);
    };
    let mut props = Props::parse(rec.properties);
    let immunity_ms = props
        .get(keys::CHECK_IMMUNITY_TIME_IN_SECONDS)
        .and_then(|s| s.parse::<i64>().ok())
        .map_or(b.config.load().transaction_time_out, |s| s * 1000);
    let age = now_ms() - rec.store_timestamp;
    if age < immunity_ms {
        return Ok(false);
    }
    let checks: i32 = props
        .get(keys::TRANSACTION_CHECK_TIMES)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let reserved_ms = i64::from(b.config.load().file_reserved_time) * 3_600_000;
    if checks >= b.config.load().transaction_check_max || age > reserved_ms {
        if let Err(e) =
            b.topics
                .get_or_create(TRANS_CHECK_MAX_TIME_TOPIC, 1, PERM_READ | PERM_WRITE)
        {
            tracing::error!(cause = %e, "cannot create TRANS_CHECK_MAX_TIME_TOPIC");
        }
        let msg = message_from_record(b, &rec, bytes, TRANS_CHECK_MAX_TIME_TOPIC.into(), 0, &props);
        b.store.put_message(msg).await?;
        tracing::info!(checks, "half message given up after too many checks");
        return Ok(true);
    }
    props.set(keys::TRANSACTION_CHECK_TIMES, (checks + 1).to_string());
    let copy = message_from_record(b, &rec, bytes, TRANS_HALF_TOPIC.into(), 0, &props);
    let put = b.store.put_message(copy).await?;
    let Some(group) = props.get(keys::PGROUP) else {
        return Ok(true);
    };
    let mut channels = b.clients.producer_channels(group);
    channels.shuffle(&mut rand::thread_rng());
    let Some(channel) = channels.iter().find(|c| !c.conn.is_closed()) else {
        tracing::debug!(group, "no live producer to check a half message with");
        return Ok(true);
    };
    let real_topic = props.get(keys::REAL_TOPIC).unwrap_or(rec.topic);
    let real_qid = props
        .get(keys::REAL_QID)
        .and_then(|q| q.parse().ok())
        .unwrap_or(0);
    let encoded_props = props.encode();
    let fields = RecordFields {
        queue_id: real_qid,
        flag: rec.flag,
        queue_offset: put.queue_offset,
        physical_offset: put.wrote_offset,
        sys_flag: rec.sys_flag,
        born_timestamp: rec.born_timestamp,
        born_host: rec.born_host,
        store_timestamp: put.store_timestamp,
        store_host: b.store_host,
        reconsume_times: rec.reconsume_times,
        prepared_transaction_offset: rec.prepared_transaction_offset,
        body: rec.body,
        body_crc: Some(rec.body_crc),
        topic: real_topic,
        properties: &encoded_props,
    };
    let mut body = vec![0u8; fields.encoded_size()];
    if let Err(e) = encode_record(&fields, &mut body) {
        tracing::warn!(cause = %e, "cannot encode a half message for its check");
        return Ok(true);
    }
    let uniq = props.get(keys::UNIQ_KEY).map(str::to_owned);
    let header = CheckTransactionStateRequestHeader {
        tran_state_table_offset: put.queue_offset,
        commit_log_offset: put.wrote_offset,
        msg_id: uniq.clone(),
        transaction_id: uniq,
        offset_msg_id: Some(offset_msg_id(b.store_host, put.wrote_offset)),
    };
    let cmd = RemotingCommand::request_with_header(RequestCode::CheckTransactionState, 0, &header)
        .with_body(body);
    if let Err(e) = channel.conn.oneway(cmd) {
        tracing::debug!(group, cause = %e, "cannot send CHECK_TRANSACTION_STATE");
    }
    Ok(true)
}
