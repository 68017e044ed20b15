//! Comparing what a client sent with what a client received.
//!
//! Both client drivers (ali-ons scripts and the rocketmq-client-rust driver) print the same JSON
//! events: `sent` per acknowledged send and `msg` per delivered message (see `tests/node/*.js`).

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

/// One acknowledged send.
#[derive(Clone, Debug)]
pub struct Sent {
    /// Message index within the producer run.
    pub i: u64,
    /// The msgId the send result reported.
    pub msg_id: String,
    /// The broker's offset msgId, when the client reports it separately (Java-style clients).
    pub offset_msg_id: Option<String>,
    /// Queue the broker stored it in.
    pub queue_id: i64,
    /// Logical offset in that queue.
    pub queue_offset: i64,
    /// `SEND_OK` etc.
    pub status: String,
    /// Topic.
    pub topic: String,
    /// Tag.
    pub tag: String,
    /// Key.
    pub key: String,
    /// Body text.
    pub body: String,
    /// User properties.
    pub props: BTreeMap<String, String>,
    /// Client clock (ms) just before the send.
    pub sent_at: i64,
}

/// One delivered message.
#[derive(Clone, Debug)]
pub struct Received {
    /// msgId as the consumer saw it.
    pub msg_id: String,
    /// The offset msgId, when the client reports it separately.
    pub offset_msg_id: Option<String>,
    /// Topic (the original topic for retried messages).
    pub topic: String,
    /// Tag.
    pub tags: Option<String>,
    /// Keys.
    pub keys: Option<String>,
    /// Body text.
    pub body: String,
    /// All properties.
    pub properties: BTreeMap<String, String>,
    /// Queue id.
    pub queue_id: i64,
    /// Queue offset.
    pub queue_offset: i64,
    /// Reconsume count.
    pub reconsume_times: i64,
    /// Whether the consumer answered "retry later" to this delivery.
    pub retry: bool,
    /// Client clock (ms) at delivery.
    pub received_at: i64,
}

fn s(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn map(v: &Value) -> BTreeMap<String, String> {
    v.as_object()
        .map(|o| o.iter().map(|(k, v)| (k.clone(), s(v))).collect())
        .unwrap_or_default()
}

fn opt(v: &Value) -> Option<String> {
    if v.is_null() { None } else { Some(s(v)) }
}

/// The `sent` events of a producer run, in order.
pub fn sent(events: &[Value]) -> Vec<Sent> {
    events
        .iter()
        .filter(|e| e["event"] == "sent")
        .map(|e| Sent {
            i: e["i"].as_u64().unwrap_or(u64::MAX),
            msg_id: s(&e["msgId"]),
            offset_msg_id: opt(&e["offsetMsgId"]),
            queue_id: e["queueId"].as_i64().unwrap_or(-1),
            queue_offset: e["queueOffset"].as_i64().unwrap_or(-1),
            status: s(&e["status"]),
            topic: s(&e["topic"]),
            tag: s(&e["tag"]),
            key: s(&e["key"]),
            body: s(&e["body"]),
            props: map(&e["props"]),
            sent_at: e["sentAt"].as_i64().unwrap_or(0),
        })
        .collect()
}

/// The `msg` events of a consumer run, in order.
pub fn received(events: &[Value]) -> Vec<Received> {
    events
        .iter()
        .filter(|e| e["event"] == "msg")
        .map(|e| Received {
            msg_id: s(&e["msgId"]),
            offset_msg_id: opt(&e["offsetMsgId"]),
            topic: s(&e["topic"]),
            tags: opt(&e["tags"]),
            keys: opt(&e["keys"]),
            body: s(&e["body"]),
            properties: map(&e["properties"]),
            queue_id: e["queueId"].as_i64().unwrap_or(-1),
            queue_offset: e["queueOffset"].as_i64().unwrap_or(-1),
            reconsume_times: e["reconsumeTimes"].as_i64().unwrap_or(0),
            retry: e["retry"].as_bool().unwrap_or(false),
            received_at: e["receivedAt"].as_i64().unwrap_or(0),
        })
        .collect()
}

/// Differences between one sent message and its delivery (empty = intact).
pub fn field_diffs(sent: &Sent, got: &Received) -> Vec<String> {
    let mut d = Vec::new();
    let id = &sent.msg_id;
    if got.topic != sent.topic {
        d.push(format!(
            "{id}: topic {:?} != sent {:?}",
            got.topic, sent.topic
        ));
    }
    if got.body != sent.body {
        d.push(format!("{id}: body {:?} != sent {:?}", got.body, sent.body));
    }
    if got.tags.as_deref() != Some(sent.tag.as_str()) {
        d.push(format!("{id}: tags {:?} != sent {:?}", got.tags, sent.tag));
    }
    if got.keys.as_deref() != Some(sent.key.as_str()) {
        d.push(format!("{id}: keys {:?} != sent {:?}", got.keys, sent.key));
    }
    for (k, v) in &sent.props {
        if got.properties.get(k) != Some(v) {
            d.push(format!(
                "{id}: property {k}={:?} != sent {v:?}",
                got.properties.get(k)
            ));
        }
    }
    if let (Some(a), Some(b)) = (&sent.offset_msg_id, &got.offset_msg_id)
        && a != b
    {
        d.push(format!("{id}: offset msgId {b} != send result's {a}"));
    }
    if got.queue_id != sent.queue_id || got.queue_offset != sent.queue_offset {
        d.push(format!(
            "{id}: delivered from queue {}@{} but the send result said {}@{}",
            got.queue_id, got.queue_offset, sent.queue_id, sent.queue_offset
        ));
    }
    d
}

/// Asserts every `sent` message was delivered exactly once, intact, and nothing else was delivered.
/// Deliveries the consumer asked to retry are ignored (they are not consumptions).
pub fn assert_exactly_once(sent: &[Sent], received: &[Received]) {
    let problems = exactly_once_problems(sent, received);
    assert!(
        problems.is_empty(),
        "{} problem(s) with {} sent / {} received, first ones:\n{}",
        problems.len(),
        sent.len(),
        received.len(),
        problems
            .iter()
            .take(15)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// The problems [`assert_exactly_once`] would report.
pub fn exactly_once_problems(sent: &[Sent], received: &[Received]) -> Vec<String> {
    let mut problems = Vec::new();
    let by_id: HashMap<&str, &Sent> = sent.iter().map(|m| (m.msg_id.as_str(), m)).collect();
    if by_id.len() != sent.len() {
        problems.push(format!(
            "send results carry {} distinct msgIds for {} sends",
            by_id.len(),
            sent.len()
        ));
    }
    let mut count: HashMap<&str, usize> = HashMap::new();
    for r in received.iter().filter(|r| !r.retry) {
        match by_id.get(r.msg_id.as_str()) {
            Some(s) => {
                *count.entry(s.msg_id.as_str()).or_default() += 1;
                problems.extend(field_diffs(s, r));
            }
            None => problems.push(format!(
                "received msgId {} (body {:?}) that no send result reported",
                r.msg_id, r.body
            )),
        }
    }
    for s in sent {
        match count.get(s.msg_id.as_str()).copied().unwrap_or(0) {
            1 => {}
            0 => problems.push(format!("message {} ({}) never delivered", s.i, s.msg_id)),
            n => problems.push(format!(
                "message {} ({}) delivered {n} times",
                s.i, s.msg_id
            )),
        }
    }
    problems
}

/// Asserts every send was acknowledged SEND_OK.
pub fn assert_all_send_ok(sent: &[Sent], expected: usize) {
    assert_eq!(sent.len(), expected, "number of send results");
    let bad: Vec<_> = sent.iter().filter(|m| m.status != "SEND_OK").collect();
    assert!(
        bad.is_empty(),
        "sends not SEND_OK: {:?}",
        &bad[..bad.len().min(5)]
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> (Vec<Sent>, Vec<Received>) {
        let sent_ev = json!({"event":"sent","i":0,"msgId":"A","queueId":1,"queueOffset":5,"status":"SEND_OK",
            "topic":"T","tag":"TagA","key":"k0","body":"b0","props":{"p":"1"},"sentAt":10});
        let recv_ev = json!({"event":"msg","msgId":"A","topic":"T","tags":"TagA","keys":"k0","body":"b0",
            "properties":{"p":"1","TAGS":"TagA"},"queueId":1,"queueOffset":5,"reconsumeTimes":0,"receivedAt":11});
        (sent(&[sent_ev]), received(&[recv_ev]))
    }

    #[test]
    fn intact_single_delivery_passes() {
        let (s, r) = sample();
        assert!(exactly_once_problems(&s, &r).is_empty());
    }

    #[test]
    fn duplicates_losses_strangers_and_damage_are_reported() {
        let (s, r) = sample();
        let dup: Vec<Received> = r.iter().chain(&r).cloned().collect();
        assert!(exactly_once_problems(&s, &dup)[0].contains("delivered 2 times"));
        assert!(exactly_once_problems(&s, &[])[0].contains("never delivered"));
        let mut stranger = r.clone();
        stranger[0].msg_id = "B".into();
        assert!(
            exactly_once_problems(&s, &stranger)
                .iter()
                .any(|p| p.contains("no send result"))
        );
        for damage in [
            |m: &mut Received| m.body.push('x'),
            |m: &mut Received| m.tags = None,
            |m: &mut Received| m.keys = Some("other".into()),
            |m: &mut Received| {
                m.properties.remove("p");
            },
            |m: &mut Received| m.topic = "U".into(),
            |m: &mut Received| m.queue_offset += 1,
        ] {
            let mut bad = r.clone();
            damage(&mut bad[0]);
            assert_eq!(exactly_once_problems(&s, &bad).len(), 1, "{bad:?}");
        }
    }
}
