//! CONSUMER_SEND_MSG_BACK (36): a consumer gives a message back; it is re-stored in
//! `%RETRY%group` with delay level 3 + reconsumeTimes (or the one asked for), or in
//! `%DLQ%group` once the retries are used up (Java `SendMessageProcessor.consumerSendMsgBack`).

use std::sync::Arc;

use rand::Rng;
use wasmq_protocol::code::V3_4_9;
use wasmq_protocol::header::broker::ConsumerSendMsgBackRequestHeader;
use wasmq_protocol::message::flags::{PERM_READ, PERM_WRITE};
use wasmq_protocol::message::record::RecordView;
use wasmq_protocol::message::{
    decode_properties, encode_properties, keys, offset_msg_id, tags_hash_code,
};
use wasmq_protocol::{RemotingCommand, ResponseCode};
use wasmq_remoting::Request;
use wasmq_store::MessageToStore;

use crate::broker::Broker;
use crate::error::store_error_response;
use crate::processor::send::divert_delayed;
use crate::topics::{dlq_topic, retry_topic};

/// CONSUMER_SEND_MSG_BACK (36).
#[tracing::instrument(level = "debug", skip_all, fields(group = %req.header.group, offset = req.header.offset))]
pub async fn send_back(
    b: Arc<Broker>,
    req: Request<ConsumerSendMsgBackRequestHeader>,
) -> RemotingCommand {
    let h = req.header;
    let err = RemotingCommand::error;
    let group = match b.groups.find_or_create(&h.group) {
        Ok(Some(g)) => g,
        Ok(None) => {
            return err(
                ResponseCode::SubscriptionGroupNotExist,
                format!("subscription group not exist, {}", h.group),
            );
        }
        Err(e) => return err(ResponseCode::SystemError, e.to_string()),
    };
    if b.config.load().broker_permission & PERM_WRITE == 0 {
        return err(
            ResponseCode::NoPermission,
            format!("the broker[{}] sending message is forbidden", b.broker_addr),
        );
    }
    if group.retry_queue_nums <= 0 {
        return RemotingCommand::success();
    }
    let Some(bytes) = b.store.look_message_by_offset(h.offset) else {
        return err(
            ResponseCode::SystemError,
            format!("look message by offset failed, {}", h.offset),
        );
    };
    let rec = match RecordView::decode(&bytes, false) {
        Ok((rec, _)) => rec,
        Err(e) => {
            return err(
                ResponseCode::SystemError,
                format!("stored message at {} is unreadable: {e}", h.offset),
            );
        }
    };
    let mut props = decode_properties(rec.properties);
    let has = |props: &[(String, String)], k: &str| props.iter().any(|(pk, _)| pk == k);
    if !has(&props, keys::RETRY_TOPIC) {
        props.push((keys::RETRY_TOPIC.to_owned(), rec.topic.to_owned()));
    }
    let max = match h.max_reconsume_times {
        Some(m) if req.version >= V3_4_9 => m,
        _ => group.retry_max_times,
    };
    let (topic, queue_id, to_dlq) = if rec.reconsume_times >= max || h.delay_level < 0 {
        let dlq = dlq_topic(&h.group);
        if let Err(e) = b.topics.get_or_create(&dlq, 1, PERM_READ | PERM_WRITE) {
            return err(ResponseCode::SystemError, e.to_string());
        }
        (dlq, 0, true)
    } else {
        let retry = retry_topic(&h.group);
        let t = match b
            .topics
            .get_or_create(&retry, group.retry_queue_nums, PERM_READ | PERM_WRITE)
        {
            Ok(t) => t,
            Err(e) => return err(ResponseCode::SystemError, e.to_string()),
        };
        let q = rand::thread_rng().gen_range(0..t.write_queue_nums.max(1));
        (retry, q, false)
    };
    props.retain(|(k, _)| k != keys::DELAY && k != keys::WAIT);
    if !to_dlq {
        let level = if h.delay_level == 0 {
            3 + rec.reconsume_times
        } else {
            h.delay_level
        };
        props.push((keys::DELAY.to_owned(), level.to_string()));
    }
    if !has(&props, keys::ORIGIN_MESSAGE_ID) {
        let origin = h
            .origin_msg_id
            .clone()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| offset_msg_id(rec.store_host, rec.physical_offset));
        props.push((keys::ORIGIN_MESSAGE_ID.to_owned(), origin));
    }
    let (topic, queue_id) = divert_delayed(&b, &topic, queue_id, &mut props);
    let tags = props
        .iter()
        .rev()
        .find(|(k, _)| k == keys::TAGS)
        .map_or("", |(_, v)| v.as_str());
    let msg = MessageToStore {
        tags_code: tags_hash_code(tags),
        keys: props
            .iter()
            .find(|(k, _)| k == keys::KEYS)
            .map_or_else(String::new, |(_, v)| v.clone()),
        uniq_key: props
            .iter()
            .find(|(k, _)| k == keys::UNIQ_KEY)
            .map(|(_, v)| v.clone()),
        properties: encode_properties(props.iter().map(|(k, v)| (k, v))),
        topic,
        queue_id,
        flag: rec.flag,
        body: bytes.slice_ref(rec.body),
        sys_flag: rec.sys_flag,
        born_timestamp: rec.born_timestamp,
        born_host: rec.born_host,
        store_host: b.store_host,
        reconsume_times: rec.reconsume_times + 1,
        prepared_transaction_offset: 0,
        wait_store_ok: false,
    };
    match b.store.put_message(msg).await {
        Ok(_) => RemotingCommand::success(),
        Err(e) => {
            let (code, remark) = store_error_response(&e);
            err(code, remark)
        }
    }
}
