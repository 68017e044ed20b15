//! SEND_REPLY_MESSAGE (324) / SEND_REPLY_MESSAGE_V2 (325): a replier's answer to a request
//! message is pushed to the requesting producer (PUSH_REPLY_MESSAGE_TO_CLIENT, found by the
//! REPLY_TO_CLIENT client id) and also stored in the reply topic (Java `ReplyMessageProcessor`
//! with `storeReplyMessageEnable`). The answer's code is the push's outcome.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use wasmq_protocol::header::broker::{
    ReplyMessageRequestHeader, SendMessageRequestHeader, SendMessageRequestHeaderV2,
    SendMessageResponseHeader,
};
use wasmq_protocol::message::{decode_properties, encode_properties, keys, offset_msg_id};
use wasmq_protocol::{RemotingCommand, RequestCode, ResponseCode};
use wasmq_remoting::Request;
use wasmq_store::MessageToStore;

use super::send::{SendRequest, check};
use crate::broker::Broker;
use crate::topics::now_ms;

/// How long the requester has to acknowledge a pushed reply (Java `callClient`: 3 s).
const PUSH_TIMEOUT: Duration = Duration::from_secs(3);

/// SEND_REPLY_MESSAGE (324).
pub async fn reply_v1(b: Arc<Broker>, req: Request<SendMessageRequestHeader>) -> RemotingCommand {
    let peer = req.conn.peer();
    reply(&b, req.header.into(), req.body, peer, req.version).await
}

/// SEND_REPLY_MESSAGE_V2 (325).
pub async fn reply_v2(b: Arc<Broker>, req: Request<SendMessageRequestHeaderV2>) -> RemotingCommand {
    let peer = req.conn.peer();
    reply(&b, req.header.into(), req.body, peer, req.version).await
}

async fn reply(
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
    let sender = props
        .iter()
        .rev()
        .find(|(k, _)| k == keys::REPLY_TO_CLIENT)
        .map(|(_, v)| v.clone());
    let pushed = match &sender {
        None => Err(format!(
            "reply message properties[{}] is null",
            keys::REPLY_TO_CLIENT
        )),
        Some(sender) => match b.clients.producer_by_client_id(sender) {
            None => Err(format!(
                "push reply message fail, channel of <{sender}> not found."
            )),
            Some(channel) => {
                props.retain(|(k, _)| k != keys::PUSH_REPLY_TIME);
                props.push((keys::PUSH_REPLY_TIME.to_owned(), now_ms().to_string()));
                let header = ReplyMessageRequestHeader {
                    producer_group: h.producer_group.clone(),
                    topic: h.topic.clone(),
                    default_topic: h.default_topic.clone(),
                    default_topic_queue_nums: h.default_topic_queue_nums,
                    queue_id: h.queue_id,
                    sys_flag: h.sys_flag,
                    born_timestamp: h.born_timestamp,
                    flag: h.flag,
                    properties: Some(encode_properties(props.iter().map(|(k, v)| (k, v)))),
                    reconsume_times: Some(h.reconsume_times),
                    unit_mode: Some(false),
                    born_host: peer.to_string(),
                    store_host: b.store_host.to_string(),
                    store_timestamp: now_ms(),
                };
                let cmd = RemotingCommand::request_with_header(
                    RequestCode::PushReplyMessageToClient,
                    0,
                    &header,
                )
                .with_body(body.clone());
                match channel.conn.request(cmd, PUSH_TIMEOUT).await {
                    Ok(r) if r.code == ResponseCode::Success.as_i32() => Ok(()),
                    Ok(r) => {
                        tracing::warn!(sender = %sender, code = r.code, remark = ?r.remark, "reply push refused");
                        Err(format!("push reply message to {sender}fail."))
                    }
                    Err(e) => {
                        tracing::warn!(sender = %sender, cause = %e, "reply push failed");
                        Err(format!("push reply message to {sender}fail."))
                    }
                }
            }
        },
    };
    let msg = MessageToStore {
        tags_code: wasmq_protocol::message::tags_hash_code(
            props
                .iter()
                .rev()
                .find(|(k, _)| k == keys::TAGS)
                .map_or("", |(_, v)| v.as_str()),
        ),
        keys: String::new(),
        uniq_key: props
            .iter()
            .find(|(k, _)| k == keys::UNIQ_KEY)
            .map(|(_, v)| v.clone()),
        properties: h.properties.clone(),
        topic: target.topic.topic_name.clone(),
        queue_id: target.queue_id,
        flag: h.flag,
        body,
        sys_flag: h.sys_flag,
        born_timestamp: h.born_timestamp,
        born_host: peer,
        store_host: b.store_host,
        reconsume_times: h.reconsume_times,
        prepared_transaction_offset: 0,
        wait_store_ok: false,
    };
    let stored = b.store.put_message(msg).await;
    let mut header = SendMessageResponseHeader {
        msg_id: "0".into(),
        queue_id: target.queue_id,
        queue_offset: 0,
        transaction_id: None,
    };
    match &stored {
        Ok(r) => {
            header.msg_id = offset_msg_id(b.store_host, r.wrote_offset);
            header.queue_offset = r.queue_offset;
        }
        Err(e) => tracing::warn!(cause = %e, "reply message not stored"),
    }
    let mut resp = match pushed {
        Ok(()) => RemotingCommand::success(),
        Err(remark) => RemotingCommand::error(ResponseCode::SystemError, remark),
    }
    .with_header(&header);
    resp.ext_fields
        .insert(keys::MSG_REGION, b.config.load().region_id.clone());
    resp.ext_fields
        .insert(keys::TRACE_ON, b.config.load().trace_on.to_string());
    resp
}
