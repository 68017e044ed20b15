//! Messages: decoding what brokers return, finding messages by id (VIEW_MESSAGE_BY_ID 33, or
//! QUERY_MESSAGE 12 on the unique key), by key (QUERY_MESSAGE), by queue offset (PULL_MESSAGE 11),
//! and sending a test message (SEND_MESSAGE_V2 310).

use std::collections::BTreeMap;
use std::io::Read as _;
use std::sync::atomic::{AtomicU16, AtomicUsize, Ordering};

use base64::Engine as _;
use bytes::Bytes;
use serde::Serialize;
use wasmq_protocol::header::broker::{
    PullMessageRequestHeader, PullMessageResponseHeader, QueryMessageRequestHeader,
    SendMessageRequestHeaderV2, SendMessageResponseHeader, ViewMessageRequestHeader,
};
use wasmq_protocol::message::flags::COMPRESSED_FLAG;
use wasmq_protocol::message::{
    MessageRecord, RecordIter, decode_offset_msg_id, decode_properties, encode_properties, keys,
    offset_msg_id,
};
use wasmq_protocol::{RequestCode, ResponseCode};

use crate::{Admin, AdminError, Result, now_ms};

/// The consumer group mqadmin's `queryMsgByOffset` pulls as (`MixAll.TOOLS_CONSUMER_GROUP`).
pub const TOOLS_CONSUMER_GROUP: &str = "TOOLS_CONSUMER";
/// The producer group of [`Admin::send_message`].
pub const ADMIN_PRODUCER_GROUP: &str = "wasmq_admin_producer";
/// mqadmin's `queryMsgByKey` asks each broker for at most this many messages.
const QUERY_MAX: i32 = 64;

/// A stored message as the admin verbs show it (Java `MessageExt` plus the broker's name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    /// Topic.
    pub topic: String,
    /// Broker name (empty when unknown).
    pub broker_name: String,
    /// Queue id.
    pub queue_id: i32,
    /// Logical offset in the queue.
    pub queue_offset: i64,
    /// Offset in the commit log.
    pub commit_log_offset: i64,
    /// The client's message id (`UNIQ_KEY`), else the offset message id.
    pub msg_id: String,
    /// The offset message id (store host + commit-log offset).
    pub offset_msg_id: String,
    /// `KEYS`, split on spaces.
    pub keys: Vec<String>,
    /// `TAGS`.
    pub tags: Option<String>,
    /// Every property.
    pub properties: BTreeMap<String, String>,
    /// Born time, ms.
    pub born_timestamp: i64,
    /// Producer address.
    pub born_host: String,
    /// Store time, ms.
    pub store_timestamp: i64,
    /// Broker address.
    pub store_host: String,
    /// Times redelivered.
    pub reconsume_times: i32,
    /// Message sysFlag.
    pub sys_flag: i32,
    /// User flag.
    pub flag: i32,
    /// Body length in bytes (after decompression).
    pub body_size: usize,
    /// `utf8` or `base64`: how [`Message::body`] is written.
    pub body_encoding: &'static str,
    /// The body: the text when it is valid UTF-8, else base64.
    pub body: String,
}

impl Message {
    /// Decodes one stored record; a compressed (zlib) body is inflated, as Java's decoder does.
    pub fn from_record(r: &MessageRecord, broker_name: &str) -> Message {
        let properties: BTreeMap<String, String> =
            decode_properties(&r.properties).into_iter().collect();
        let offset_id = offset_msg_id(r.store_host, r.physical_offset);
        let raw: Bytes = if r.sys_flag & COMPRESSED_FLAG != 0 {
            let mut out = Vec::new();
            match flate2::read::ZlibDecoder::new(&r.body[..]).read_to_end(&mut out) {
                Ok(_) => Bytes::from(out),
                Err(_) => r.body.clone(),
            }
        } else {
            r.body.clone()
        };
        let (body_encoding, body) = match std::str::from_utf8(&raw) {
            Ok(s) => ("utf8", s.to_owned()),
            Err(_) => (
                "base64",
                base64::engine::general_purpose::STANDARD.encode(&raw),
            ),
        };
        Message {
            topic: r.topic.clone(),
            broker_name: broker_name.to_owned(),
            queue_id: r.queue_id,
            queue_offset: r.queue_offset,
            commit_log_offset: r.physical_offset,
            msg_id: properties
                .get(keys::UNIQ_KEY)
                .cloned()
                .unwrap_or_else(|| offset_id.clone()),
            offset_msg_id: offset_id,
            keys: properties
                .get(keys::KEYS)
                .map(|k| {
                    k.split(' ')
                        .filter(|k| !k.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            tags: properties.get(keys::TAGS).cloned(),
            born_timestamp: r.born_timestamp,
            born_host: r.born_host.to_string(),
            store_timestamp: r.store_timestamp,
            store_host: r.store_host.to_string(),
            reconsume_times: r.reconsume_times,
            sys_flag: r.sys_flag,
            flag: r.flag,
            body_size: raw.len(),
            body_encoding,
            body,
            properties,
        }
    }
}

/// What [`Admin::send_message`] reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SendResult {
    /// The client message id (`UNIQ_KEY`) given to the message.
    pub msg_id: String,
    /// The broker's offset message id.
    pub offset_msg_id: String,
    /// Topic.
    pub topic: String,
    /// Broker name.
    pub broker_name: String,
    /// Queue id.
    pub queue_id: i32,
    /// Logical offset in the queue.
    pub queue_offset: i64,
}

fn decode_all(
    addr: &str,
    request: &'static str,
    body: &Bytes,
    broker_name: &str,
) -> Result<Vec<Message>> {
    RecordIter::new(body.clone(), false)
        .map(|r| {
            r.map(|r| Message::from_record(&r, broker_name))
                .map_err(|e| AdminError::BadAnswer {
                    addr: addr.to_owned(),
                    request,
                    detail: e.to_string(),
                })
        })
        .collect()
}

impl Admin {
    /// The broker name of an address, from the cluster table (empty if not found).
    async fn broker_name_of(&self, addr: &str) -> Option<String> {
        let info = self.cluster_info().await.ok()?;
        info.broker_addr_table
            .values()
            .find(|b| b.broker_addrs.values().any(|a| a == addr))
            .map(|b| b.broker_name.clone())
    }

    /// VIEW_MESSAGE_BY_ID: the record at `offset` in the commit log of the broker at `addr`.
    pub async fn view_message(&self, addr: &str, offset: i64) -> Result<Message> {
        let code = RequestCode::ViewMessageById;
        let resp = self
            .call(addr, code, &ViewMessageRequestHeader { offset }, None)
            .await?;
        let name = self.broker_name_of(addr).await.unwrap_or_default();
        decode_all(addr, code.name(), &resp.body, &name)?
            .into_iter()
            .next()
            .ok_or_else(|| {
                AdminError::NotFound(format!("{addr} returned no record at offset {offset}"))
            })
    }

    /// `queryMsgById`. An offset message id is decoded into the broker's address and commit-log
    /// offset and viewed there; otherwise (or if that fails and `topic` is given) the id is taken
    /// as a client message id (`UNIQ_KEY`) and looked up in `topic`'s index, as mqadmin does.
    pub async fn query_msg_by_id(&self, msg_id: &str, topic: Option<&str>) -> Result<Message> {
        let decoded = decode_offset_msg_id(msg_id).ok();
        if let Some((host, offset)) = decoded {
            let addr = host.to_string();
            // A UNIQ_KEY also decodes (same length); its "address" is no broker of the cluster,
            // so only ask there when it is one, or when there is nothing else to try.
            let known = self.broker_name_of(&addr).await.is_some();
            if known || topic.is_none() {
                match self.view_message(&addr, offset).await {
                    Ok(m) => return Ok(m),
                    Err(e) if topic.is_none() => return Err(e),
                    Err(e) => {
                        tracing::debug!(cause = %e, "not an offset msgId; trying it as a UNIQ_KEY")
                    }
                }
            }
        }
        let Some(topic) = topic else {
            return Err(AdminError::Invalid(format!(
                "{msg_id} is not an offset message id; to look up a client message id (UNIQ_KEY) give its topic (-t)"
            )));
        };
        let found = self.query_index(topic, msg_id, true).await?;
        found
            .into_iter()
            .filter(|m| m.msg_id == msg_id)
            .min_by_key(|m| m.store_timestamp)
            .ok_or_else(|| {
                AdminError::NotFound(format!("no message with id {msg_id} in topic {topic}"))
            })
    }

    /// `queryMsgByKey`: QUERY_MESSAGE on each master of `topic`'s route; the messages whose
    /// `KEYS` contain `key`.
    pub async fn query_msg_by_key(&self, topic: &str, key: &str) -> Result<Vec<Message>> {
        let mut found = self.query_index(topic, key, false).await?;
        found.retain(|m| m.keys.iter().any(|k| k == key));
        found.sort_by_key(|m| (m.store_timestamp, m.commit_log_offset));
        Ok(found)
    }

    /// QUERY_MESSAGE to every master of the route, merged (22 = none there).
    async fn query_index(&self, topic: &str, key: &str, unique: bool) -> Result<Vec<Message>> {
        let code = RequestCode::QueryMessage;
        let h = QueryMessageRequestHeader {
            topic: topic.to_owned(),
            key: key.to_owned(),
            max_num: if unique { 32 } else { QUERY_MAX },
            begin_timestamp: 0,
            end_timestamp: i64::MAX,
            unique_key_query: unique.then_some(true),
        };
        let mut out = Vec::new();
        for (name, addr) in self.route_masters(topic).await? {
            let resp = self.invoke(&addr, code, &h, None).await?;
            if resp.code == ResponseCode::QueryNotFound.as_i32() {
                continue;
            }
            let resp = crate::check(&addr, code, resp)?;
            out.extend(decode_all(&addr, code.name(), &resp.body, &name)?);
        }
        Ok(out)
    }

    /// `queryMsgByOffset`: one PULL_MESSAGE of the queue at `offset`, as group `TOOLS_CONSUMER`.
    pub async fn query_msg_by_offset(
        &self,
        topic: &str,
        broker_name: &str,
        queue_id: i32,
        offset: i64,
    ) -> Result<Message> {
        let addr = self
            .route_masters(topic)
            .await?
            .into_iter()
            .find(|(n, _)| n == broker_name)
            .map(|(_, a)| a)
            .ok_or_else(|| AdminError::NoSuchBroker {
                broker: broker_name.to_owned(),
                topic: topic.to_owned(),
            })?;
        let code = RequestCode::PullMessage;
        let h = PullMessageRequestHeader {
            consumer_group: TOOLS_CONSUMER_GROUP.into(),
            topic: topic.to_owned(),
            queue_id,
            queue_offset: offset,
            max_msg_nums: 1,
            // FLAG_SUBSCRIPTION: the subscription travels in the header.
            sys_flag: 0x4,
            commit_offset: Some(0),
            suspend_timeout_millis: Some(0),
            subscription: Some("*".into()),
            sub_version: Some(0),
            expression_type: Some("TAG".into()),
        };
        let resp = self.invoke(&addr, code, &h, None).await?;
        if resp.code == ResponseCode::Success.as_i32() {
            return decode_all(&addr, code.name(), &resp.body, broker_name)?
                .into_iter()
                .find(|m| m.queue_offset == offset)
                .ok_or_else(|| {
                    AdminError::NotFound(format!(
                        "no message at offset {offset} of {topic}/{broker_name}/{queue_id}"
                    ))
                });
        }
        let pulled = [
            ResponseCode::PullNotFound,
            ResponseCode::PullRetryImmediately,
            ResponseCode::PullOffsetMoved,
        ];
        if pulled.iter().any(|c| c.as_i32() == resp.code) {
            let range = resp
                .decode_header::<PullMessageResponseHeader>()
                .map(|r| {
                    format!(
                        " (the queue holds offsets {}..{})",
                        r.min_offset, r.max_offset
                    )
                })
                .unwrap_or_default();
            return Err(AdminError::NotFound(format!(
                "no message at offset {offset} of {topic}/{broker_name}/{queue_id}{range}"
            )));
        }
        Err(crate::remote(&addr, code, &resp))
    }

    /// Sends one message to a writable queue of `topic`'s route (round robin), as producer group
    /// `wasmq_admin_producer`; for the console's "send a test message".
    pub async fn send_message(
        &self,
        topic: &str,
        tags: Option<&str>,
        msg_keys: Option<&str>,
        body: &[u8],
    ) -> Result<SendResult> {
        self.send_message_to(topic, None, None, tags, msg_keys, body)
            .await
    }

    /// [`Admin::send_message`], optionally to one broker (by name) and queue (mqadmin's
    /// `sendMessage -b -i`).
    pub async fn send_message_to(
        &self,
        topic: &str,
        broker_name: Option<&str>,
        queue_id: Option<i32>,
        tags: Option<&str>,
        msg_keys: Option<&str>,
        body: &[u8],
    ) -> Result<SendResult> {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let route = self.topic_route(topic).await?;
        let mut queues = Vec::new();
        for q in route
            .queue_datas
            .iter()
            .filter(|q| q.perm & 2 != 0)
            .filter(|q| broker_name.is_none_or(|b| b == q.broker_name))
        {
            let Some(addr) = route
                .broker_datas
                .iter()
                .find(|b| b.broker_name == q.broker_name)
                .and_then(|b| b.master_addr())
            else {
                continue;
            };
            for id in (0..q.write_queue_nums).filter(|id| queue_id.is_none_or(|want| want == *id)) {
                queues.push((q.broker_name.clone(), addr.to_owned(), id));
            }
        }
        if queues.is_empty() {
            return Err(AdminError::NoRoute {
                topic: format!(
                    "{topic} (no writable queue on a live master matching the broker and queue asked)"
                ),
                namesrv: self.namesrv.clone(),
            });
        }
        let pick = NEXT.fetch_add(1, Ordering::Relaxed) % queues.len();
        let (broker_name, addr, queue_id) = queues.swap_remove(pick);
        let uniq = unique_id();
        let mut props = vec![(keys::UNIQ_KEY, uniq.as_str()), (keys::WAIT, "true")];
        if let Some(t) = tags.filter(|t| !t.is_empty()) {
            props.push((keys::TAGS, t));
        }
        if let Some(k) = msg_keys.filter(|k| !k.is_empty()) {
            props.push((keys::KEYS, k));
        }
        let h = SendMessageRequestHeaderV2 {
            a: ADMIN_PRODUCER_GROUP.into(),
            b: topic.to_owned(),
            c: Some("TBW102".into()),
            d: Some(4),
            e: queue_id,
            f: 0,
            g: now_ms(),
            h: 0,
            i: Some(encode_properties(props)),
            j: Some(0),
            k: Some(false),
            l: None,
            m: Some(false),
        };
        let code = RequestCode::SendMessageV2;
        let resp = self.call(&addr, code, &h, Some(body.to_vec())).await?;
        let r: SendMessageResponseHeader =
            resp.decode_header().map_err(|e| AdminError::BadAnswer {
                addr: addr.clone(),
                request: code.name(),
                detail: e.to_string(),
            })?;
        Ok(SendResult {
            msg_id: uniq,
            offset_msg_id: r.msg_id,
            topic: topic.to_owned(),
            broker_name,
            queue_id: r.queue_id,
            queue_offset: r.queue_offset,
        })
    }
}

/// A client message id in Java's layout (`MessageClientIDSetter`): 16 bytes as 32 hex chars,
/// ip (127.0.0.1) + pid (2) + a per-process value (4) + ms since the start of the month (4) +
/// a counter (2).
fn unique_id() -> String {
    static COUNTER: AtomicU16 = AtomicU16::new(0);
    let now = now_ms();
    let mut raw = Vec::with_capacity(16);
    raw.extend_from_slice(&[127, 0, 0, 1]);
    raw.extend_from_slice(&(std::process::id() as u16).to_be_bytes());
    raw.extend_from_slice(&(std::process::id().rotate_left(16) ^ 0x5741_534d).to_be_bytes());
    let since_month = (now - month_start_ms(now)) as u32;
    raw.extend_from_slice(&since_month.to_be_bytes());
    raw.extend_from_slice(&COUNTER.fetch_add(1, Ordering::Relaxed).to_be_bytes());
    raw.iter().map(|b| format!("{b:02X}")).collect()
}

/// The first ms of the UTC month containing `ms` (Howard Hinnant's civil-from-days).
fn month_start_ms(ms: i64) -> i64 {
    const DAY: i64 = 86_400_000;
    let days = ms.div_euclid(DAY);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day_of_month = doy - (153 * mp + 2) / 5 + 1;
    (days - (day_of_month - 1)) * DAY
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_start() {
        // 2026-11-25T15:21:40Z -> 2026-11-01T00:00:00Z
        assert_eq!(month_start_ms(1_795_620_100_000), 1_793_491_200_000);
        assert_eq!(month_start_ms(1_793_491_200_000), 1_793_491_200_000);
    }

    #[test]
    fn unique_ids_are_32_hex_and_distinct() {
        let (a, b) = (unique_id(), unique_id());
        assert_eq!(a.len(), 32);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}
