//! The send path through ingress hooks (plugins): messages are offered to
//! [`MessageHooks::ingress`](crate::hooks::MessageHooks::ingress) before anything is stored, then
//! stored one by one where the hooks left them (see [`crate::hooks`] for the semantics).

use std::net::SocketAddr;

use bytes::Bytes;
use rand::Rng;
use wasmq_protocol::message::{decode_batch, decode_properties, encode_properties, keys};
use wasmq_protocol::{RemotingCommand, ResponseCode};
use wasmq_store::{MessageToStore, PutResult, PutStatus};

use super::send::{SendRequest, Target, divert_delayed, respond};
use crate::broker::Broker;
use crate::hooks::{IngressMessage, IngressVerdict};
use crate::topics::{TBW102, topic_name_problem};

/// A send request that passed the checks.
#[derive(Debug)]
pub(crate) struct Checked<'a> {
    /// The request.
    pub(crate) request: &'a SendRequest,
    /// Where it goes before hooks.
    pub(crate) target: &'a Target,
    /// Request-level properties (WAIT dropped, CLUSTER added).
    pub(crate) props: Vec<(String, String)>,
    /// Producer address.
    pub(crate) peer: SocketAddr,
    /// Wait for durability.
    pub(crate) wait_store_ok: bool,
}

/// One message of the request: flag, body, properties.
type Item = (i32, Bytes, Vec<(String, String)>);

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("topic", &self.topic.topic_name)
            .field("queue_id", &self.queue_id)
            .finish()
    }
}

fn get<'a>(props: &'a [(String, String)], key: &str) -> Option<&'a str> {
    props
        .iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// Offers the request's messages to the ingress hooks, then stores what they keep.
pub(crate) async fn send_through_hooks(
    b: &Broker,
    req: Checked<'_>,
    body: Bytes,
) -> RemotingCommand {
    let h = req.request;
    let topic = req.target.topic.topic_name.clone();
    let items: Vec<Item> = if h.batch {
        match decode_batch(&body) {
            Ok(items) => items
                .into_iter()
                .map(|it| {
                    let mut p = decode_properties(&it.properties);
                    p.extend(req.props.iter().cloned());
                    (it.flag, it.body, p)
                })
                .collect(),
            Err(e) => {
                return RemotingCommand::error(
                    ResponseCode::MessageIllegal,
                    format!("malformed batch body: {e}"),
                );
            }
        }
    } else {
        vec![(h.flag, body, req.props.clone())]
    };
    let mut batch: Vec<IngressMessage> = items
        .iter()
        .map(|(_, body, p)| IngressMessage {
            topic: topic.clone(),
            queue_id: req.target.queue_id,
            tags: get(p, keys::TAGS).unwrap_or_default().to_owned(),
            keys: get(p, keys::KEYS).unwrap_or_default().to_owned(),
            properties: encode_properties(p.iter().map(|(k, v)| (k, v))),
            body: body.clone(),
            copy_of: None,
        })
        .collect();
    let verdicts = b.hooks.ingress(&topic, &mut batch);
    if let Some(reason) = verdicts.iter().find_map(|v| match v {
        IngressVerdict::Rejected(r) => Some(r.clone()),
        _ => None,
    }) {
        tracing::info!(topic = %topic, reason = %reason, "send rejected by an ingress hook");
        return RemotingCommand::error(
            ResponseCode::MessageIllegal,
            format!("message rejected by an ingress plugin: {reason}"),
        );
    }
    let mut tally = crate::metrics::InTally::new(b, &topic);
    let mut results: Vec<PutResult> = Vec::new();
    let mut first_queue = None;
    for (i, m) in batch.into_iter().enumerate() {
        if verdicts.get(i) != Some(&IngressVerdict::Keep) {
            continue;
        }
        let origin = m.copy_of.unwrap_or(i);
        let flag = items.get(origin).map_or(h.flag, |(f, _, _)| *f);
        let (msg_topic, queue_id) = match place(b, req.target, &m) {
            Ok(p) => p,
            Err(resp) => return *resp,
        };
        let mut props = decode_properties(&m.properties);
        for (k, v) in [(keys::TAGS, &m.tags), (keys::KEYS, &m.keys)] {
            props.retain(|(pk, _)| pk != k);
            if !v.is_empty() {
                props.push((k.to_owned(), v.clone()));
            }
        }
        let (msg_topic, queue_id) = if h.batch {
            (msg_topic, queue_id)
        } else {
            divert_delayed(b, &msg_topic, queue_id, &mut props)
        };
        let msg = MessageToStore {
            tags_code: wasmq_protocol::message::tags_hash_code(&m.tags),
            keys: m.keys.clone(),
            uniq_key: get(&props, keys::UNIQ_KEY).map(str::to_owned),
            properties: encode_properties(props.iter().map(|(k, v)| (k, v))),
            topic: msg_topic,
            queue_id,
            flag,
            body: m.body,
            sys_flag: h.sys_flag,
            born_timestamp: h.born_timestamp,
            born_host: req.peer,
            store_host: b.store_host,
            reconsume_times: h.reconsume_times,
            prepared_transaction_offset: 0,
            wait_store_ok: req.wait_store_ok,
        };
        let is_copy = m.copy_of.is_some();
        let put = b.store.put_message(msg).await;
        if let Ok(r) = &put {
            tally.add(r);
        }
        match put {
            // The answer describes what the producer sent; copies a router added are stored
            // beside it but are not part of its msgIds.
            Ok(r) if !is_copy => {
                first_queue.get_or_insert(queue_id);
                results.push(r);
            }
            Ok(_) => {}
            // The originals before it are stored already: failing the request now would make
            // the producer resend them, so a lost copy is logged instead.
            Err(e) if is_copy => {
                tracing::warn!(topic = %topic, cause = %e, "storing a plugin-added copy failed");
            }
            Err(e) => return respond(b, Err(e), req.target.queue_id, req.wait_store_ok),
        }
    }
    let Some(first) = results.first() else {
        // Everything discarded: acknowledged, nothing stored.
        let mut r = RemotingCommand::success().with_header(
            &wasmq_protocol::header::broker::SendMessageResponseHeader {
                msg_id: String::new(),
                queue_id: req.target.queue_id,
                queue_offset: -1,
                transaction_id: None,
            },
        );
        r.ext_fields
            .insert(keys::MSG_REGION, b.config.load().region_id.clone());
        r.ext_fields
            .insert(keys::TRACE_ON, b.config.load().trace_on.to_string());
        return r;
    };
    let combined = PutResult {
        status: if results
            .iter()
            .any(|r| r.status == PutStatus::FlushDiskTimeout)
        {
            PutStatus::FlushDiskTimeout
        } else {
            PutStatus::PutOk
        },
        record_offsets: results
            .iter()
            .flat_map(|r| r.record_offsets.iter().copied())
            .collect(),
        msg_num: i32::try_from(results.len()).unwrap_or(i32::MAX),
        ..first.clone()
    };
    respond(
        b,
        Ok(combined),
        first_queue.unwrap_or(req.target.queue_id),
        req.wait_store_ok,
    )
}

/// Where a kept message goes: its (possibly re-routed) topic, created from TBW102 if allowed,
/// and a valid queue of it.
fn place(
    b: &Broker,
    target: &Target,
    m: &IngressMessage,
) -> Result<(String, i32), Box<RemotingCommand>> {
    let refuse = |code, remark: String| Box::new(RemotingCommand::error(code, remark));
    let cfg = if m.topic == target.topic.topic_name {
        target.topic.clone()
    } else {
        if let Some(problem) = topic_name_problem(&m.topic) {
            return Err(refuse(ResponseCode::SystemError, problem));
        }
        match b.topics.get_or_create_from_template(
            &m.topic,
            TBW102,
            target.topic.write_queue_nums,
            0,
        ) {
            Ok(Some(t)) => t,
            Ok(None) => {
                return Err(refuse(
                    ResponseCode::TopicNotExist,
                    format!("topic[{}] not exist, apply first please!", m.topic),
                ));
            }
            Err(e) => return Err(refuse(ResponseCode::SystemError, e.to_string())),
        }
    };
    let queue_id = if (0..cfg.write_queue_nums).contains(&m.queue_id) {
        m.queue_id
    } else {
        rand::thread_rng().gen_range(0..cfg.write_queue_nums.max(1))
    };
    Ok((cfg.topic_name, queue_id))
}
