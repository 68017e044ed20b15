//! The send path through ingress hooks (plugins): messages are offered to
//! [`MessageHooks::ingress`](crate::hooks::MessageHooks::ingress) before anything is stored, then
//! stored one by one where the hooks left them (see [`crate::hooks`] for the semantics).

use std::net::SocketAddr;

use bytes::Bytes;
use rand::Rng;
use wasmq_protocol::message::properties::{NAME_VALUE_SEPARATOR, PROPERTY_SEPARATOR};
use wasmq_protocol::message::{decode_batch, decode_properties, keys};
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
    let Checked {
        request: h,
        target,
        props: request_props,
        peer,
        wait_store_ok,
    } = req;
    let topic = target.topic.topic_name.clone();
    let mut items: Vec<Item> = if h.batch {
        match decode_batch(&body) {
            Ok(items) => items
                .into_iter()
                .map(|it| {
                    let mut p = decode_properties(&it.properties);
                    p.extend(request_props.iter().cloned());
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
        vec![(h.flag, body, request_props)]
    };
    let mut batch: Vec<IngressMessage> = items
        .iter()
        .map(|(_, body, p)| IngressMessage {
            topic: topic.clone(),
            queue_id: target.queue_id,
            tags: get(p, keys::TAGS).unwrap_or_default().to_owned(),
            keys: get(p, keys::KEYS).unwrap_or_default().to_owned(),
            properties: encode_sized(p),
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
    // An original's decoded properties can be moved out for it only when no copy needs them too.
    let has_copies = batch.iter().any(|m| m.copy_of.is_some());
    let mut tally = crate::metrics::InTally::new(b, &topic);
    let mut results: Vec<PutResult> = Vec::new();
    let mut first_queue = None;
    for (i, m) in batch.into_iter().enumerate() {
        if verdicts.get(i) != Some(&IngressVerdict::Keep) {
            continue;
        }
        let origin = m.copy_of.unwrap_or(i);
        let flag = items.get(origin).map_or(h.flag, |(f, _, _)| *f);
        let (msg_topic, queue_id) = match place(b, target, &m) {
            Ok(p) => p,
            Err(resp) => return *resp,
        };
        let mut props = match items.get_mut(origin) {
            // Hooks left properties, tags and keys as they were (filters never change them):
            // decoding them back would give the pairs we already have, minus those the encoding
            // drops (`valid_pair` below).
            Some((_, _, sent)) if unchanged(&m, sent) => {
                let mut p = if has_copies {
                    sent.clone()
                } else {
                    std::mem::take(sent)
                };
                p.retain(|(k, v)| valid_pair(k, v));
                p
            }
            _ => decode_properties(&m.properties),
        };
        // TAGS and KEYS are stored last, as the hooks left them.
        props.retain(|(k, _)| k != keys::TAGS && k != keys::KEYS);
        for (k, v) in [(keys::TAGS, &m.tags), (keys::KEYS, &m.keys)] {
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
            properties: encode_sized(&props),
            topic: msg_topic,
            queue_id,
            flag,
            body: m.body,
            sys_flag: h.sys_flag,
            born_timestamp: h.born_timestamp,
            born_host: peer,
            store_host: b.store_host,
            reconsume_times: h.reconsume_times,
            prepared_transaction_offset: 0,
            wait_store_ok,
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
            Err(e) => return respond(b, Err(e), target.queue_id, wait_store_ok),
        }
    }
    let Some(first) = results.first() else {
        // Everything discarded: acknowledged, nothing stored.
        let mut r = RemotingCommand::success().with_header(
            &wasmq_protocol::header::broker::SendMessageResponseHeader {
                msg_id: String::new(),
                queue_id: target.queue_id,
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
        first_queue.unwrap_or(target.queue_id),
        wait_store_ok,
    )
}

/// Whether the hooks returned `m` with the properties, tags and keys they were given for `sent`
/// (compared without re-encoding or decoding anything).
fn unchanged(m: &IngressMessage, sent: &[(String, String)]) -> bool {
    m.tags == get(sent, keys::TAGS).unwrap_or_default()
        && m.keys == get(sent, keys::KEYS).unwrap_or_default()
        && encodes_to(sent, &m.properties)
}

/// A pair `encode_properties` keeps: name and value non-empty and without a separator. For such
/// pairs, decoding the encoding gives the pairs back (and every decoded pair is one).
fn valid_pair(k: &str, v: &str) -> bool {
    // The separators are ASCII, so a byte scan finds them; without an early exit it vectorises.
    let valid =
        |s: &str| !s.is_empty() && !s.bytes().fold(false, |hit, b| hit | (b == 1) | (b == 2));
    valid(k) && valid(v)
}

/// `encode_properties(pairs)` with a single allocation (it runs twice per message here).
fn encode_sized(pairs: &[(String, String)]) -> String {
    // Sized for every pair (a dropped one only leaves spare capacity); validated once, below.
    let mut out = String::with_capacity(pairs.iter().map(|(k, v)| k.len() + v.len() + 2).sum());
    for (k, v) in pairs.iter().filter(|(k, v)| valid_pair(k, v)) {
        if !out.is_empty() {
            out.push(PROPERTY_SEPARATOR);
        }
        out.push_str(k);
        out.push(NAME_VALUE_SEPARATOR);
        out.push_str(v);
    }
    out
}

/// Whether `encode_properties(pairs)` equals `encoded`, without building it.
fn encodes_to(pairs: &[(String, String)], encoded: &str) -> bool {
    let mut rest = encoded;
    let mut first = true;
    for (k, v) in pairs.iter().filter(|(k, v)| valid_pair(k, v)) {
        if !first {
            match rest.strip_prefix(PROPERTY_SEPARATOR) {
                Some(r) => rest = r,
                None => return false,
            }
        }
        first = false;
        match rest
            .strip_prefix(k.as_str())
            .and_then(|r| r.strip_prefix(NAME_VALUE_SEPARATOR))
            .and_then(|r| r.strip_prefix(v.as_str()))
        {
            Some(r) => rest = r,
            None => return false,
        }
    }
    rest.is_empty()
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

#[cfg(test)]
mod tests {
    use super::*;
    use wasmq_protocol::message::encode_properties;

    /// Every property list of up to two pairs over names / values that are empty, carry a
    /// separator, or are ordinary.
    fn lists() -> Vec<Vec<(String, String)>> {
        let parts = ["", "a", "TAGS", "k\u{1}x", "v\u{2}", "é", "12"];
        let pairs: Vec<(String, String)> = parts
            .iter()
            .flat_map(|k| parts.iter().map(|v| (k.to_string(), v.to_string())))
            .collect();
        let mut out = vec![Vec::new()];
        for a in &pairs {
            out.push(vec![a.clone()]);
            for b in &pairs {
                out.push(vec![a.clone(), b.clone()]);
            }
        }
        out
    }

    /// `encode_sized` is `encode_properties`, `encodes_to` is `encode_properties(..) == ..` without
    /// the allocation, and the pairs the
    /// fast path keeps are what decoding the encoding gives back, so it stores the same bytes.
    #[test]
    fn encodes_to_agrees_with_the_codec() {
        let all = lists();
        let short: Vec<String> = all
            .iter()
            .filter(|l| l.len() < 2)
            .map(|l| encode_properties(l.iter().map(|(k, v)| (k, v))))
            .collect();
        for p in &all {
            let encoded = encode_properties(p.iter().map(|(k, v)| (k, v)));
            assert_eq!(encode_sized(p), encoded, "{p:?}");
            assert!(encodes_to(p, &encoded), "{p:?}");
            for theirs in &short {
                assert_eq!(
                    encodes_to(p, theirs),
                    encoded == *theirs,
                    "{p:?} vs {theirs:?}"
                );
            }
            let kept: Vec<_> = p
                .iter()
                .filter(|(k, v)| valid_pair(k, v))
                .cloned()
                .collect();
            assert_eq!(decode_properties(&encoded), kept, "{p:?}");
        }
    }
}
