//! PULL_MESSAGE (11) (Java `PullMessageProcessor`): checks, tag filtering by hash, status
//! mapping, offset commit, and long polling through [`crate::long_polling`].

use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmq_protocol::header::broker::{PullMessageRequestHeader, PullMessageResponseHeader};
use wasmq_protocol::message::flags::PERM_READ;
use wasmq_protocol::message::record::RecordView;
use wasmq_protocol::message::{encode_properties, keys, property, tags_hash_code};
use wasmq_protocol::{RemotingCommand, ResponseCode};
use wasmq_remoting::Request;
use wasmq_store::{GetMessageResult, GetMessageStatus, MessageToStore};

use crate::broker::Broker;
use crate::error::Refusal;
use crate::filter::{PullFilter, TagFilter};
use crate::hooks::ConsumedMessage;
use crate::long_polling::HoldRequest;
use crate::topics::{OFFSET_MOVED_EVENT, now_ms};

/// PullSysFlag bit 0: commit `commitOffset`.
const FLAG_COMMIT_OFFSET: i32 = 0x1;
/// PullSysFlag bit 1: the broker may hold the request.
const FLAG_SUSPEND: i32 = 0x2;
/// PullSysFlag bit 2: the header carries the subscription.
const FLAG_SUBSCRIPTION: i32 = 0x4;

/// How often a held pull re-checks the queue with long polling on (Java: 5 s).
const LONG_POLLING_RECHECK: Duration = Duration::from_secs(5);

/// PULL_MESSAGE (11) on the main port.
#[tracing::instrument(level = "debug", skip_all, fields(topic = %req.header.topic, queue = req.header.queue_id,
    group = %req.header.consumer_group))]
pub async fn pull(b: Arc<Broker>, req: Request<PullMessageRequestHeader>) -> RemotingCommand {
    let h = req.header;
    let started = Instant::now();
    // Time spent held waiting for messages, left out of the pull latency.
    let mut held = Duration::ZERO;
    let filter = match prepare(&b, &h) {
        Ok(f) => Arc::new(f),
        Err(r) => return r.into(),
    };
    let first = read(&b, &h, &filter);
    let suspend = h.sys_flag & FLAG_SUSPEND != 0;
    let answer = if first.code == ResponseCode::PullNotFound && suspend {
        let hold_ms = if b.config.load().long_polling_enable {
            u64::try_from(h.suspend_timeout_millis.unwrap_or(15_000)).unwrap_or(0)
        } else {
            b.config.load().short_polling_time_mills
        };
        let recheck = if b.config.load().long_polling_enable {
            LONG_POLLING_RECHECK
        } else {
            Duration::from_millis(b.config.load().short_polling_time_mills.max(1))
        };
        let hold_started = Instant::now();
        let deadline = tokio::time::Instant::now() + Duration::from_millis(hold_ms);
        let store = Arc::clone(&b.store);
        let (topic, qid) = (h.topic.clone(), h.queue_id);
        let hold = b.holds.hold(
            HoldRequest {
                topic: &h.topic,
                queue_id: h.queue_id,
                offset: h.queue_offset,
                filter: Arc::clone(&filter),
            },
            deadline,
            recheck,
            move || store.max_offset_in_queue(&topic, qid),
        );
        let reason = tokio::select! {
            r = hold => r,
            // Nobody to answer: drop the hold (its registration is removed with it).
            () = req.conn.closed() => return RemotingCommand::error(
                ResponseCode::SystemError,
                "connection closed while the pull was held",
            ),
        };
        held = hold_started.elapsed();
        tracing::debug!(topic = %h.topic, queue = h.queue_id, ?reason, "held pull resumed");
        // Woken or timed out, the request is re-run once without holding
        // (Java `executeRequestWhenWakeup`); a timeout thus answers 19 with fresh offsets.
        read(&b, &h, &filter)
    } else {
        first
    };
    let commit = h.commit_offset.filter(|o| *o >= 0);
    if let (Some(offset), true) = (
        commit,
        h.sys_flag & FLAG_COMMIT_OFFSET != 0 && !b.is_slave(),
    ) {
        b.offsets
            .commit(&h.consumer_group, &h.topic, h.queue_id, offset);
    }
    if answer.code == ResponseCode::PullOffsetMoved && !b.is_slave() {
        offset_moved_event(&b, &h, answer.header.next_begin_offset).await;
    }
    if !answer.messages.is_empty() {
        b.throughput.record_got(answer.messages.len() as u64);
        b.group_get_nums.record(
            &h.topic,
            &h.consumer_group,
            answer.messages.len() as u64,
            super::stats::now_sec(),
        );
    }
    if let Some(m) = b.metrics() {
        m.observe_pull(started.elapsed().saturating_sub(held));
        if !answer.messages.is_empty() {
            let bytes = answer.messages.iter().map(bytes::Bytes::len).sum::<usize>();
            m.record_out(&h.topic, answer.messages.len() as u64, bytes as u64);
        }
    }
    answer.into_command()
}

/// Records an OFFSET_MOVED_EVENT (tag = group, queue 0), as a Java master does on code 21.
async fn offset_moved_event(b: &Broker, h: &PullMessageRequestHeader, offset_new: i64) {
    let event = serde_json::json!({
        "consumerGroup": h.consumer_group,
        "messageQueue": {"brokerName": b.config.load().broker_name, "queueId": h.queue_id, "topic": h.topic},
        "offsetRequest": h.queue_offset,
        "offsetNew": offset_new,
    });
    let msg = MessageToStore {
        topic: OFFSET_MOVED_EVENT.to_owned(),
        queue_id: 0,
        flag: 0,
        body: event.to_string().into(),
        properties: encode_properties([(keys::TAGS, h.consumer_group.as_str())]),
        sys_flag: 0,
        born_timestamp: now_ms(),
        born_host: b.store_host,
        store_host: b.store_host,
        reconsume_times: 0,
        prepared_transaction_offset: 0,
        tags_code: tags_hash_code(&h.consumer_group),
        keys: String::new(),
        uniq_key: None,
        wait_store_ok: false,
    };
    if let Err(e) = b.store.put_message(msg).await {
        tracing::warn!(cause = %e, "cannot store OFFSET_MOVED_EVENT");
    }
}

/// Pre-checks (in Java's order) and the tag filter to apply.
fn prepare(b: &Broker, h: &PullMessageRequestHeader) -> Result<PullFilter, Refusal> {
    let err = |code, remark: String| Err(Refusal::new(code, remark));
    if b.config.load().broker_permission & PERM_READ == 0 {
        return err(
            ResponseCode::NoPermission,
            format!("the broker[{}] pulling message is forbidden", b.broker_addr),
        );
    }
    let group = match b.groups.find_or_create(&h.consumer_group) {
        Ok(Some(g)) => g,
        Ok(None) => {
            return err(
                ResponseCode::SubscriptionGroupNotExist,
                format!("subscription group [{}] does not exist", h.consumer_group),
            );
        }
        Err(e) => return err(ResponseCode::SystemError, e.to_string()),
    };
    if !group.consume_enable {
        return err(
            ResponseCode::NoPermission,
            format!("subscription group no permission, {}", h.consumer_group),
        );
    }
    let Some(topic) = b.topics.get(&h.topic) else {
        return err(
            ResponseCode::TopicNotExist,
            format!(
                "topic[{}] not exist, apply first please! http://rocketmq.apache.org/docs/faq/",
                h.topic
            ),
        );
    };
    if topic.perm & PERM_READ == 0 {
        return err(
            ResponseCode::NoPermission,
            format!("the topic[{}] pulling message is forbidden", h.topic),
        );
    }
    if h.queue_id < 0 || h.queue_id >= topic.read_queue_nums {
        return err(
            ResponseCode::SystemError,
            format!(
                "queueId[{}] is illegal, topic:[{}] topicConfig.readQueueNums:[{}] consumer:[{}]",
                h.queue_id, h.topic, topic.read_queue_nums, h.consumer_group
            ),
        );
    }
    if h.sys_flag & FLAG_SUBSCRIPTION != 0 {
        return pull_filter(
            b,
            h,
            h.expression_type.as_deref(),
            h.subscription.as_deref().unwrap_or("*"),
        )
        .map(|f| {
            f.unwrap_or_else(|| {
                PullFilter::Tag(TagFilter::from_expression(
                    h.subscription.as_deref().unwrap_or("*"),
                ))
            })
        });
    }
    let Some((broadcasting, sub)) = b.clients.pull_subscription(&h.consumer_group, &h.topic) else {
        return err(
            ResponseCode::SubscriptionNotExist,
            format!("the consumer's group info not exist {}", h.consumer_group),
        );
    };
    if broadcasting && !group.consume_broadcast_enable {
        return err(
            ResponseCode::NoPermission,
            format!(
                "the consumer group[{}] can not consume by broadcast way",
                h.consumer_group
            ),
        );
    }
    let Some(sub) = sub else {
        return err(
            ResponseCode::SubscriptionNotExist,
            format!("the consumer's subscription not exist {}", h.topic),
        );
    };
    if sub.sub_version < h.sub_version.unwrap_or(0) {
        return err(
            ResponseCode::SubscriptionNotLatest,
            format!("the consumer's subscription not latest {}", sub.sub_string),
        );
    }
    let filter = pull_filter(b, h, Some(&sub.expression_type), &sub.sub_string)?;
    Ok(filter.unwrap_or_else(|| PullFilter::Tag(TagFilter::from_subscription(&sub))))
}

/// A SQL92 filter for a non-TAG expression type (parsed once per subscription, then from
/// [`Broker::filters`]); `None` for TAG (the caller builds it).
fn pull_filter(
    b: &Broker,
    h: &PullMessageRequestHeader,
    expression_type: Option<&str>,
    expression: &str,
) -> Result<Option<PullFilter>, Refusal> {
    if wasmq_filter::is_tag_type(expression_type) {
        return Ok(None);
    }
    if !b.config.load().enable_property_filter {
        return Err(Refusal::new(
            ResponseCode::SystemError,
            "The broker does not support consumer to filter message by SQL92",
        ));
    }
    b.filters
        .get_or_parse(
            &h.consumer_group,
            &h.topic,
            expression_type.unwrap_or_default(),
            expression,
        )
        .map(|f| Some(PullFilter::Sql92(f)))
        .map_err(|e| {
            Refusal::new(
                ResponseCode::SubscriptionParseFailed,
                format!("parse the consumer's subscription[{expression}] failed: {e}"),
            )
        })
}

/// One pull outcome.
#[derive(Debug)]
struct PullAnswer {
    code: ResponseCode,
    header: PullMessageResponseHeader,
    remark: String,
    messages: Vec<bytes::Bytes>,
}

impl PullAnswer {
    fn into_command(self) -> RemotingCommand {
        let mut c =
            RemotingCommand::response(self.code, Some(self.remark)).with_header(&self.header);
        c.body_chunks = self.messages;
        c
    }
}

/// Reads from the store and maps the status (doc 2.4).
fn read(b: &Broker, h: &PullMessageRequestHeader, filter: &PullFilter) -> PullAnswer {
    let max = h.max_msg_nums.clamp(
        1,
        b.config
            .load()
            .max_transfer_count_on_message_in_memory
            .max(1),
    );
    let r: GetMessageResult =
        b.store
            .get_messages(&h.topic, h.queue_id, h.queue_offset, max, &|code| {
                filter.matches_code(code)
            });
    let r = if filter.needs_properties() {
        evaluate_records(r, filter)
    } else {
        r
    };
    let r = if r.status == GetMessageStatus::Found
        && b.hooks.has_consumer_filter(&h.consumer_group, &h.topic)
    {
        match consumer_hooks(b, h, r) {
            Ok(r) => r,
            Err((reason, min_offset, max_offset)) => {
                // Undecided: the client retries later; nothing is skipped.
                return PullAnswer {
                    code: ResponseCode::SystemError,
                    header: PullMessageResponseHeader {
                        suggest_which_broker_id: 0,
                        next_begin_offset: h.queue_offset,
                        min_offset,
                        max_offset,
                    },
                    remark: format!("consumer filter plugin failed: {reason}"),
                    messages: Vec::new(),
                };
            }
        }
    } else {
        r
    };
    use GetMessageStatus as S;
    let (code, next) = match r.status {
        S::Found => (ResponseCode::Success, r.next_begin_offset),
        S::NoMatchedMessage | S::MessageWasRemoving => {
            (ResponseCode::PullRetryImmediately, r.next_begin_offset)
        }
        S::NoMatchedLogicQueue | S::NoMessageInQueue => {
            if h.queue_offset != 0 {
                (ResponseCode::PullOffsetMoved, r.next_begin_offset)
            } else {
                (ResponseCode::PullNotFound, r.next_begin_offset)
            }
        }
        S::OffsetTooSmall | S::OffsetOverflowBadly => {
            (ResponseCode::PullOffsetMoved, r.next_begin_offset)
        }
        S::OffsetOverflowOne | S::OffsetFoundNull => {
            (ResponseCode::PullNotFound, r.next_begin_offset)
        }
    };
    if code == ResponseCode::PullOffsetMoved {
        tracing::info!(requested = h.queue_offset, corrected = next, status = ?r.status,
            "pull offset moved");
    }
    PullAnswer {
        code,
        header: PullMessageResponseHeader {
            suggest_which_broker_id: 0,
            next_begin_offset: next,
            min_offset: r.min_offset,
            max_offset: r.max_offset,
        },
        remark: status_name(r.status).to_owned(),
        messages: if code == ResponseCode::Success {
            r.messages
        } else {
            Vec::new()
        },
    }
}

/// Runs the consumer-filter hooks over the found records; like SQL92, none kept => 20.
fn consumer_hooks(
    b: &Broker,
    h: &PullMessageRequestHeader,
    mut r: GetMessageResult,
) -> Result<GetMessageResult, (String, i64, i64)> {
    let decoded: Vec<_> = r
        .messages
        .iter()
        .map(|m| RecordView::decode(m, false).ok().map(|(rec, _)| rec))
        .collect();
    let views: Vec<ConsumedMessage<'_>> = decoded
        .iter()
        .flatten()
        .map(|rec| ConsumedMessage {
            topic: rec.topic,
            queue_id: rec.queue_id,
            tags: property(rec.properties, keys::TAGS).unwrap_or_default(),
            keys: property(rec.properties, keys::KEYS).unwrap_or_default(),
            properties: rec.properties,
            body: rec.body,
        })
        .collect();
    let keep = b
        .hooks
        .consumer_filter(&h.consumer_group, &h.topic, &views)
        .map_err(|reason| (reason, r.min_offset, r.max_offset))?;
    // Undecodable records (none expected) are delivered: the client decides.
    let mut verdicts = keep.into_iter();
    let flags: Vec<bool> = decoded
        .iter()
        .map(|d| d.is_none() || verdicts.next().unwrap_or(true))
        .collect();
    drop(views);
    drop(decoded);
    let mut kept = Vec::new();
    let mut offsets = Vec::new();
    for ((m, off), keep) in r
        .messages
        .into_iter()
        .zip(r.message_queue_offsets)
        .zip(flags)
    {
        if keep {
            kept.push(m);
            offsets.push(off);
        }
    }
    r.buffer_total_size = kept.iter().map(bytes::Bytes::len).sum();
    r.messages = kept;
    r.message_queue_offsets = offsets;
    if r.messages.is_empty() {
        r.status = GetMessageStatus::NoMatchedMessage;
    }
    Ok(r)
}

/// Drops the records a SQL92 filter rejects; none left => NO_MATCHED_MESSAGE (the scan position
/// still advances, as Java's `isMatchedByCommitLog` skip does).
fn evaluate_records(mut r: GetMessageResult, filter: &PullFilter) -> GetMessageResult {
    if r.status != GetMessageStatus::Found {
        return r;
    }
    let mut kept = Vec::with_capacity(r.messages.len());
    let mut offsets = Vec::with_capacity(r.messages.len());
    for (m, off) in r.messages.into_iter().zip(r.message_queue_offsets) {
        let keep = RecordView::decode(&m, false)
            .is_ok_and(|(rec, _)| filter.matches_properties(rec.properties));
        if keep {
            kept.push(m);
            offsets.push(off);
        }
    }
    r.buffer_total_size = kept.iter().map(bytes::Bytes::len).sum();
    r.messages = kept;
    r.message_queue_offsets = offsets;
    if r.messages.is_empty() {
        r.status = GetMessageStatus::NoMatchedMessage;
    }
    r
}

fn status_name(s: GetMessageStatus) -> &'static str {
    match s {
        GetMessageStatus::Found => "FOUND",
        GetMessageStatus::NoMatchedMessage => "NO_MATCHED_MESSAGE",
        GetMessageStatus::MessageWasRemoving => "MESSAGE_WAS_REMOVING",
        GetMessageStatus::OffsetFoundNull => "OFFSET_FOUND_NULL",
        GetMessageStatus::OffsetOverflowBadly => "OFFSET_OVERFLOW_BADLY",
        GetMessageStatus::OffsetOverflowOne => "OFFSET_OVERFLOW_ONE",
        GetMessageStatus::OffsetTooSmall => "OFFSET_TOO_SMALL",
        GetMessageStatus::NoMatchedLogicQueue => "NO_MATCHED_LOGIC_QUEUE",
        GetMessageStatus::NoMessageInQueue => "NO_MESSAGE_IN_QUEUE",
    }
}
