//! SEND_MESSAGE (10), SEND_MESSAGE_V2 (310), SEND_BATCH_MESSAGE (320), and CPP batches on 310
//! with `m=true` (Java `SendMessageProcessor`). The three header spellings are normalised into
//! one [`SendRequest`]; everything after that is shared.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use rand::Rng;
use wasmq_protocol::body::namesrv::{TopicConfig, TopicFilterType};
use wasmq_protocol::code::V3_4_9;
use wasmq_protocol::header::broker::{
    SendMessageRequestHeader, SendMessageRequestHeaderV2, SendMessageResponseHeader,
};
use wasmq_protocol::message::flags::{
    MULTI_TAGS_FLAG, PERM_READ, PERM_WRITE, TRANSACTION_ROLLBACK_TYPE, transaction_value,
};
use wasmq_protocol::message::{
    decode_batch, decode_properties, encode_properties, keys, offset_msg_id, tags_hash_code,
};
use wasmq_protocol::{RemotingCommand, ResponseCode};
use wasmq_remoting::Request;
use wasmq_store::{
    BatchItemToStore, MessageBatchToStore, MessageToStore, PutResult, PutStatus, StoreError,
};

use crate::broker::Broker;
use crate::config::BrokerRole;
use crate::error::{Refusal, SERVICE_NOT_AVAILABLE_REMARK, store_error_response};
use crate::topics::{
    DLQ_PREFIX, NOT_SENDABLE, RETRY_PREFIX, SCHEDULE_TOPIC, TBW102, TRANS_HALF_TOPIC, dlq_topic,
    topic_name_problem,
};

/// A send request, whatever header spelling it came in.
#[derive(Debug, Clone)]
pub struct SendRequest {
    /// Producer group.
    pub producer_group: String,
    /// Topic.
    pub topic: String,
    /// Auto-create template.
    pub default_topic: String,
    /// Queues for auto-creation.
    pub default_topic_queue_nums: i32,
    /// Queue id (< 0 = any).
    pub queue_id: i32,
    /// Message sysFlag.
    pub sys_flag: i32,
    /// Born timestamp.
    pub born_timestamp: i64,
    /// User flag.
    pub flag: i32,
    /// Properties string.
    pub properties: String,
    /// Reconsume times.
    pub reconsume_times: i32,
    /// Max reconsume times from the header.
    pub max_reconsume_times: Option<i32>,
    /// Body is a batch.
    pub batch: bool,
}

impl From<SendMessageRequestHeader> for SendRequest {
    fn from(h: SendMessageRequestHeader) -> Self {
        Self {
            producer_group: h.producer_group,
            topic: h.topic,
            default_topic: h.default_topic.unwrap_or_else(|| TBW102.into()),
            default_topic_queue_nums: h.default_topic_queue_nums.unwrap_or(4),
            queue_id: h.queue_id,
            sys_flag: h.sys_flag,
            born_timestamp: h.born_timestamp,
            flag: h.flag,
            properties: h.properties.unwrap_or_default(),
            reconsume_times: h.reconsume_times.unwrap_or(0),
            max_reconsume_times: h.max_reconsume_times,
            batch: h.batch.unwrap_or(false),
        }
    }
}

impl From<SendMessageRequestHeaderV2> for SendRequest {
    fn from(h: SendMessageRequestHeaderV2) -> Self {
        Self {
            producer_group: h.a,
            topic: h.b,
            default_topic: h.c.unwrap_or_else(|| TBW102.into()),
            default_topic_queue_nums: h.d.unwrap_or(4),
            queue_id: h.e,
            sys_flag: h.f,
            born_timestamp: h.g,
            flag: h.h,
            properties: h.i.unwrap_or_default(),
            reconsume_times: h.j.unwrap_or(0),
            max_reconsume_times: h.l,
            batch: h.m.unwrap_or(false),
        }
    }
}

/// SEND_MESSAGE (10).
#[tracing::instrument(level = "debug", skip_all, fields(topic = %req.header.topic, peer = %req.conn.peer()))]
pub async fn send_v1(b: Arc<Broker>, req: Request<SendMessageRequestHeader>) -> RemotingCommand {
    let peer = req.conn.peer();
    send_timed(&b, req.header.into(), req.body, peer, req.version).await
}

/// SEND_MESSAGE_V2 (310), which CPP also uses for batches (`m=true`).
#[tracing::instrument(level = "debug", skip_all, fields(topic = %req.header.b, peer = %req.conn.peer()))]
pub async fn send_v2(b: Arc<Broker>, req: Request<SendMessageRequestHeaderV2>) -> RemotingCommand {
    let peer = req.conn.peer();
    send_timed(&b, req.header.into(), req.body, peer, req.version).await
}

/// SEND_BATCH_MESSAGE (320).
#[tracing::instrument(level = "debug", skip_all, fields(topic = %req.header.b, peer = %req.conn.peer()))]
pub async fn send_batch(
    b: Arc<Broker>,
    req: Request<SendMessageRequestHeaderV2>,
) -> RemotingCommand {
    let peer = req.conn.peer();
    let mut h: SendRequest = req.header.into();
    h.batch = true;
    send_timed(&b, h, req.body, peer, req.version).await
}

/// [`send`], its processing time recorded when metrics are on.
async fn send_timed(
    b: &Broker,
    h: SendRequest,
    body: Bytes,
    peer: SocketAddr,
    version: i32,
) -> RemotingCommand {
    let started = Instant::now();
    let answer = send(b, h, body, peer, version).await;
    if let Some(m) = b.metrics() {
        m.observe_send(started.elapsed());
    }
    answer
}

fn refuse(code: ResponseCode, remark: impl Into<String>) -> Refusal {
    Refusal::new(code, remark)
}

/// Where a checked send goes.
pub(crate) struct Target {
    pub(crate) topic: TopicConfig,
    pub(crate) queue_id: i32,
    /// Diverted to the dead-letter queue: delivered at once, whatever DELAY says.
    dead_letter: bool,
}

/// Shared send path: checks (in Java's order), enrichment, store, response.
pub async fn send(
    b: &Broker,
    mut h: SendRequest,
    body: Bytes,
    peer: SocketAddr,
    version: i32,
) -> RemotingCommand {
    let target = match check(b, &mut h, version) {
        Ok(t) => t,
        Err(r) => return r.into(),
    };
    let mut props = decode_properties(&h.properties);
    let half = prop(&props, keys::TRAN_MSG).is_some_and(|v| v.eq_ignore_ascii_case("true"));
    if half && b.config.load().reject_transaction_message {
        return refuse(
            ResponseCode::NoPermission,
            format!(
                "the broker[{}] sending transaction message is forbidden",
                b.broker_addr
            ),
        )
        .into();
    }
    if h.batch && (half || transaction_value(h.sys_flag) != 0) {
        return refuse(
            ResponseCode::MessageIllegal,
            "batch message does not support transaction",
        )
        .into();
    }
    let wait_store_ok = prop(&props, keys::WAIT) != Some("false");
    props.retain(|(k, _)| k != keys::WAIT && !(target.dead_letter && k == keys::DELAY));
    set_prop(
        &mut props,
        keys::CLUSTER,
        &b.config.load().broker_cluster_name,
    );
    if h.batch && h.topic.starts_with(RETRY_PREFIX) {
        return refuse(
            ResponseCode::MessageIllegal,
            "batch request does not support retry group",
        )
        .into();
    }
    if h.batch && prop(&props, keys::DELAY).is_some_and(|d| d != "0") {
        return refuse(
            ResponseCode::MessageIllegal,
            "batch message does not support delay",
        )
        .into();
    }
    if target.topic.topic_filter_type == TopicFilterType::MultiTag {
        h.sys_flag |= MULTI_TAGS_FLAG;
    }
    if !half && b.hooks.has_ingress(&target.topic.topic_name) {
        let req = super::ingress::Checked {
            request: &h,
            target: &target,
            props,
            peer,
            wait_store_ok,
        };
        return super::ingress::send_through_hooks(b, req, body).await;
    }

    let result = if h.batch {
        put_batch(b, &h, &target, &props, body, peer, wait_store_ok).await
    } else {
        let (topic, queue_id) = if half {
            // Half message: parked until END_TRANSACTION (Java `parseHalfMessageInner`).
            if let Err(e) = b
                .topics
                .get_or_create(TRANS_HALF_TOPIC, 1, PERM_READ | PERM_WRITE)
            {
                return refuse(ResponseCode::SystemError, e.to_string()).into();
            }
            set_prop(&mut props, keys::REAL_TOPIC, &target.topic.topic_name);
            set_prop(&mut props, keys::REAL_QID, &target.queue_id.to_string());
            h.sys_flag &= !TRANSACTION_ROLLBACK_TYPE;
            (TRANS_HALF_TOPIC.to_owned(), 0)
        } else {
            divert_delayed(b, &target.topic.topic_name, target.queue_id, &mut props)
        };
        let tags = prop(&props, keys::TAGS).unwrap_or_default();
        let msg = MessageToStore {
            tags_code: tags_hash_code(tags),
            keys: prop(&props, keys::KEYS).unwrap_or_default().to_owned(),
            uniq_key: prop(&props, keys::UNIQ_KEY).map(str::to_owned),
            properties: encode_properties(props.iter().map(|(k, v)| (k, v))),
            topic,
            queue_id,
            flag: h.flag,
            body,
            sys_flag: h.sys_flag,
            born_timestamp: h.born_timestamp,
            born_host: peer,
            store_host: b.store_host,
            reconsume_times: h.reconsume_times,
            prepared_transaction_offset: 0,
            wait_store_ok,
        };
        b.store.put_message(msg).await
    };
    if let Ok(r) = &result {
        crate::metrics::InTally::new(b, &target.topic.topic_name).add(r);
    }
    respond(b, result, target.queue_id, wait_store_ok)
}

/// Java's `msgCheck` + `handleRetryAndDLQ`: the topic (created if allowed) and the queue.
pub(crate) fn check(b: &Broker, h: &mut SendRequest, version: i32) -> Result<Target, Refusal> {
    if crate::topics::now_ms() < b.config.load().start_accept_send_request_time_stamp {
        return Err(refuse(
            ResponseCode::SystemError,
            format!(
                "broker unable to service, until {}",
                b.config.load().start_accept_send_request_time_stamp
            ),
        ));
    }
    if b.is_slave() {
        return Err(refuse(
            ResponseCode::ServiceNotAvailable,
            SERVICE_NOT_AVAILABLE_REMARK,
        ));
    }
    if let Some(problem) = topic_name_problem(&h.topic) {
        return Err(refuse(ResponseCode::SystemError, problem));
    }
    if NOT_SENDABLE.contains(&h.topic.as_str()) {
        return Err(refuse(
            ResponseCode::NoPermission,
            format!("Sending message to topic[{}] is forbidden.", h.topic),
        ));
    }
    let topic = lookup_topic(b, h)?;
    if b.config.load().broker_permission & PERM_WRITE == 0 && topic.order {
        return Err(refuse(
            ResponseCode::NoPermission,
            format!(
                "the broker[{}] sending message is forbidden",
                b.config.load().broker_name
            ),
        ));
    }
    let queues = topic.write_queue_nums.max(topic.read_queue_nums);
    if h.queue_id >= queues {
        return Err(refuse(
            ResponseCode::SystemError,
            format!(
                "request queueId[{}] is illegal, topic:{} topicConfig.writeQueueNums: {} Producer: {}",
                h.queue_id, h.topic, topic.write_queue_nums, h.producer_group
            ),
        ));
    }
    let mut target = Target {
        queue_id: if h.queue_id < 0 {
            random_queue(topic.write_queue_nums)
        } else {
            h.queue_id
        },
        topic,
        dead_letter: false,
    };
    if let Some(group) = h.topic.strip_prefix(RETRY_PREFIX) {
        let Some(g) = b.groups.find_or_create(group).ok().flatten() else {
            return Err(refuse(
                ResponseCode::SubscriptionGroupNotExist,
                format!("subscription group not exist, {group}"),
            ));
        };
        let max = match h.max_reconsume_times {
            Some(m) if version >= V3_4_9 => m,
            _ => g.retry_max_times,
        };
        if h.reconsume_times >= max {
            let dlq = dlq_topic(group);
            let t = b
                .topics
                .get_or_create(&dlq, 1, PERM_READ | PERM_WRITE)
                .map_err(|e| refuse(ResponseCode::SystemError, e.to_string()))?;
            tracing::info!(group, topic = %dlq, "message moved to the dead-letter queue");
            h.topic = dlq;
            target = Target {
                topic: t,
                queue_id: 0,
                dead_letter: true,
            };
        }
    }
    Ok(target)
}

fn lookup_topic(b: &Broker, h: &SendRequest) -> Result<TopicConfig, Refusal> {
    let created = if let Some(group) = h.topic.strip_prefix(RETRY_PREFIX) {
        match b.groups.find_or_create(group) {
            Ok(Some(g)) => b
                .topics
                .get_or_create(&h.topic, g.retry_queue_nums, PERM_READ | PERM_WRITE)
                .map(Some),
            // Java creates the retry topic first; the unknown group is answered 26 next.
            Ok(None) => b
                .topics
                .get_or_create(&h.topic, 1, PERM_READ | PERM_WRITE)
                .map(Some),
            Err(e) => Err(e),
        }
    } else if h.topic.starts_with(DLQ_PREFIX) {
        b.topics
            .get_or_create(&h.topic, 1, PERM_READ | PERM_WRITE)
            .map(Some)
    } else {
        b.topics.get_or_create_from_template(
            &h.topic,
            &h.default_topic,
            h.default_topic_queue_nums,
            0,
        )
    };
    match created {
        Ok(Some(t)) => Ok(t),
        Ok(None) => Err(refuse(
            ResponseCode::TopicNotExist,
            format!(
                "topic[{}] not exist, apply first please! http://rocketmq.apache.org/docs/faq/",
                h.topic
            ),
        )),
        Err(e) => Err(refuse(ResponseCode::SystemError, e.to_string())),
    }
}

fn random_queue(write_queue_nums: i32) -> i32 {
    rand::thread_rng().gen_range(0..write_queue_nums.max(1))
}

/// A message with DELAY > 0 goes to SCHEDULE_TOPIC_XXXX (queue = level - 1, levels above the
/// maximum clamped), its real topic and queue saved in REAL_TOPIC / REAL_QID.
pub fn divert_delayed(
    b: &Broker,
    topic: &str,
    queue_id: i32,
    props: &mut Vec<(String, String)>,
) -> (String, i32) {
    let level = prop(props, keys::DELAY)
        .and_then(|d| d.trim().parse::<i32>().ok())
        .unwrap_or(0);
    let max_level = i32::try_from(b.delay_levels_ms.len()).unwrap_or(0);
    if level <= 0 || max_level == 0 {
        return (topic.to_owned(), queue_id);
    }
    let level = level.min(max_level);
    set_prop(props, keys::DELAY, &level.to_string());
    set_prop(props, keys::REAL_TOPIC, topic);
    set_prop(props, keys::REAL_QID, &queue_id.to_string());
    (SCHEDULE_TOPIC.to_owned(), level - 1)
}

async fn put_batch(
    b: &Broker,
    h: &SendRequest,
    t: &Target,
    header_props: &[(String, String)],
    body: Bytes,
    peer: SocketAddr,
    wait_store_ok: bool,
) -> Result<PutResult, StoreError> {
    let items = match decode_batch(&body) {
        Ok(items) => items,
        Err(e) => {
            tracing::debug!(peer = %peer, cause = %e, "malformed batch body");
            return Err(StoreError::EmptyBatch);
        }
    };
    let items = items
        .into_iter()
        .map(|item| {
            let mut p = decode_properties(&item.properties);
            p.extend(header_props.iter().cloned());
            let tags = prop(&p, keys::TAGS).unwrap_or_default();
            BatchItemToStore {
                flag: item.flag,
                tags_code: tags_hash_code(tags),
                keys: prop(&p, keys::KEYS).unwrap_or_default().to_owned(),
                uniq_key: prop(&p, keys::UNIQ_KEY).map(str::to_owned),
                properties: encode_properties(p.iter().map(|(k, v)| (k, v))),
                body: item.body,
            }
        })
        .collect();
    b.store
        .put_messages(MessageBatchToStore {
            topic: t.topic.topic_name.clone(),
            queue_id: t.queue_id,
            sys_flag: h.sys_flag,
            born_timestamp: h.born_timestamp,
            born_host: peer,
            store_host: b.store_host,
            items,
            wait_store_ok,
        })
        .await
}

pub(crate) fn respond(
    b: &Broker,
    result: Result<PutResult, StoreError>,
    queue_id: i32,
    wait_store_ok: bool,
) -> RemotingCommand {
    let r = match result {
        Ok(r) => r,
        Err(e) => {
            let (code, remark) = store_error_response(&e);
            tracing::warn!(cause = %e, code = code.name(), "send refused by the store");
            return refuse(code, remark).into();
        }
    };
    let code = match r.status {
        PutStatus::FlushDiskTimeout => ResponseCode::FlushDiskTimeout,
        // A SYNC_MASTER waits for a slave; this broker has no replication, so (as Java with no
        // slave connected) the message is stored and the status says the slave is missing.
        PutStatus::PutOk
            if wait_store_ok && b.config.load().broker_role == BrokerRole::SyncMaster =>
        {
            ResponseCode::SlaveNotAvailable
        }
        PutStatus::PutOk => ResponseCode::Success,
    };
    let msg_id = r
        .record_offsets
        .iter()
        .map(|off| offset_msg_id(b.store_host, *off))
        .collect::<Vec<_>>()
        .join(",");
    let header = SendMessageResponseHeader {
        msg_id,
        queue_id,
        queue_offset: r.queue_offset,
        transaction_id: None,
    };
    let mut resp = RemotingCommand::response(code, None).with_header(&header);
    resp.ext_fields
        .insert(keys::MSG_REGION, b.config.load().region_id.clone());
    resp.ext_fields
        .insert(keys::TRACE_ON, b.config.load().trace_on.to_string());
    resp
}

fn prop<'a>(props: &'a [(String, String)], key: &str) -> Option<&'a str> {
    props
        .iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn set_prop(props: &mut Vec<(String, String)>, key: &str, value: &str) {
    props.retain(|(k, _)| k != key);
    props.push((key.to_owned(), value.to_owned()));
}
