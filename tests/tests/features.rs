//! Broker features seen through ali-ons: delay levels, consumer retry via `%RETRY%group`, and the
//! dead-letter queue `%DLQ%group`.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::Value;
use wasmq_e2e::check::{self, Sent};
use wasmq_e2e::{BrokerOpts, Client, TestBroker, node, unique_name, wire};

const TIMEOUT: Duration = Duration::from_secs(90);

fn ons_produce(tb: &TestBroker, topic: &str, n: usize, extra: &[&str]) -> Vec<Sent> {
    Client::AliOns.prepare_topic(&tb.namesrv_addr(), topic);
    let count = n.to_string();
    let mut args = vec!["--topic", topic, "--count", &count, "--prefix", "feat"];
    args.extend_from_slice(extra);
    let mut p = node::spawn("produce.js", &tb.namesrv_addr(), &args);
    p.finish_ok(TIMEOUT);
    let sent = check::sent(p.events());
    check::assert_all_send_ok(&sent, n);
    sent
}

fn by_body(sent: &[Sent]) -> HashMap<String, Sent> {
    sent.iter().map(|s| (s.body.clone(), s.clone())).collect()
}

fn num(v: &Value, k: &str) -> i64 {
    v[k].as_i64()
        .unwrap_or_else(|| panic!("no numeric {k} in {v}"))
}

#[test]
fn ons_delay_level_2_is_delivered_5_seconds_later() {
    let tb = TestBroker::start(BrokerOpts::new());
    let topic = unique_name("e2e_delay");
    let sent = by_body(&ons_produce(&tb, &topic, 3, &["--delay-level", "2"]));
    let group = unique_name("g_delay");
    let mut p = node::spawn(
        "consume.js",
        &tb.namesrv_addr(),
        &[
            "--group",
            &group,
            "--topic",
            &topic,
            "--count",
            "3",
            "--linger-ms",
            "500",
        ],
    );
    p.finish_ok(TIMEOUT);
    let got = check::received(p.events());
    assert_eq!(got.len(), 3, "deliveries: {got:?}");
    for r in &got {
        let s = &sent[&r.body];
        assert_eq!(
            r.topic, topic,
            "a delayed message is delivered on its own topic"
        );
        assert_eq!(r.keys.as_deref(), Some(s.key.as_str()));
        assert_eq!(r.properties.get("e2e_index"), s.props.get("e2e_index"));
        let waited = r.received_at - s.sent_at;
        assert!(
            waited >= 5000,
            "level 2 (5 s) delivered after {waited} ms: {r:?}"
        );
        assert!(
            waited < 10_000,
            "level 2 (5 s) delivered only after {waited} ms (level 3 is 10 s)"
        );
    }
}

#[test]
fn ons_failed_consumption_is_redelivered_through_the_retry_topic() {
    let tb = TestBroker::start(BrokerOpts::new());
    let topic = unique_name("e2e_retry");
    let sent = by_body(&ons_produce(&tb, &topic, 3, &[]));
    let group = unique_name("g_retry");
    // Each message is refused once (ACTION_RETRY => CONSUMER_SEND_MSG_BACK, delay level 3 = 10 s).
    let mut p = node::spawn(
        "consume.js",
        &tb.namesrv_addr(),
        &[
            "--group",
            &group,
            "--topic",
            &topic,
            "--count",
            "3",
            "--linger-ms",
            "1000",
            "--fail-times",
            "1",
        ],
    );
    p.finish_ok(TIMEOUT);
    let msgs = p.events_of("msg");
    assert_eq!(msgs.len(), 6, "3 refused + 3 redelivered: {msgs:?}");
    for (body, s) in &sent {
        let tries: Vec<&Value> = msgs.iter().filter(|m| m["body"] == body.as_str()).collect();
        assert_eq!(tries.len(), 2, "{body}: {tries:?}");
        let (first, second) = (tries[0], tries[1]);
        assert_eq!(first["retry"], true);
        assert_eq!(first["msgId"].as_str(), Some(s.msg_id.as_str()));
        assert_eq!(second["retry"], false);
        assert_eq!(num(second, "reconsumeTimes"), 1, "{second}");
        assert_eq!(
            second["originMsgId"].as_str(),
            Some(s.msg_id.as_str()),
            "ORIGIN_MESSAGE_ID: {second}"
        );
        assert_eq!(
            second["topic"].as_str(),
            Some(topic.as_str()),
            "topic restored from RETRY_TOPIC"
        );
        assert_eq!(second["keys"].as_str(), Some(s.key.as_str()));
        assert_eq!(
            second["properties"]["e2e_index"].as_str(),
            s.props.get("e2e_index").map(String::as_str)
        );
        let waited = num(second, "receivedAt") - num(first, "receivedAt");
        assert!(
            waited >= 10_000,
            "first retry (level 3 = 10 s) came after {waited} ms"
        );
    }
}

#[test]
fn ons_message_exceeding_max_reconsume_goes_to_dlq() {
    let tb = TestBroker::start(BrokerOpts::new());
    let topic = unique_name("e2e_dlq");
    let sent = by_body(&ons_produce(&tb, &topic, 2, &[]));
    let group = unique_name("g_dlq");
    // maxReconsumeTimes 0: the first refusal sends the message straight to %DLQ%<group>.
    let mut p = node::spawn(
        "consume.js",
        &tb.namesrv_addr(),
        &[
            "--group",
            &group,
            "--topic",
            &topic,
            "--fail-times",
            "1000",
            "--max-reconsume",
            "0",
        ],
    );
    for _ in 0..2 {
        p.wait_for(TIMEOUT, "a refused delivery", |e| e["event"] == "msg");
    }
    p.terminate(TIMEOUT);

    let dlq = format!("%DLQ%{group}");
    let mut d = node::spawn(
        "consume.js",
        &tb.namesrv_addr(),
        &[
            "--group",
            &unique_name("g_dlq_reader"),
            "--topic",
            &dlq,
            "--count",
            "2",
            "--linger-ms",
            "500",
        ],
    );
    d.finish_ok(TIMEOUT);
    let got = check::received(d.events());
    assert_eq!(got.len(), 2, "DLQ deliveries: {got:?}");
    for r in &got {
        let s = sent
            .get(&r.body)
            .unwrap_or_else(|| panic!("unknown DLQ message {r:?}"));
        assert_eq!(r.keys.as_deref(), Some(s.key.as_str()));
        assert_eq!(
            r.properties.get("ORIGIN_MESSAGE_ID"),
            Some(&s.msg_id),
            "{r:?}"
        );
        assert_eq!(
            r.properties.get("RETRY_TOPIC").map(String::as_str),
            Some(topic.as_str()),
            "{r:?}"
        );
    }
}

const QUERY_MESSAGE: i32 = 12;
const VIEW_MESSAGE_BY_ID: i32 = 33;

/// Commit-log offset encoded in an IPv4 offset msgId (last 16 of 32 hex chars).
fn commit_offset_of(msg_id: &str) -> i64 {
    assert_eq!(msg_id.len(), 32, "IPv4 offset msgId expected: {msg_id}");
    i64::from_str_radix(&msg_id[16..], 16).unwrap_or_else(|e| panic!("msgId {msg_id}: {e}"))
}

#[test]
fn query_by_key_and_view_by_msg_id_return_the_stored_records() {
    let tb = TestBroker::start(BrokerOpts::new());
    let topic = unique_name("e2e_query");
    let sent = ons_produce(&tb, &topic, 5, &[]);
    for s in &sent {
        // VIEW_MESSAGE_BY_ID with the commit-log offset inside the offset msgId ali-ons got back.
        let offset = commit_offset_of(&s.msg_id).to_string();
        let f = wire::call(
            &tb.broker_addr(),
            VIEW_MESSAGE_BY_ID,
            &[("offset", &offset)],
            b"",
        );
        assert_eq!(f.code(), 0, "view {}: {:?}", s.msg_id, f.header);
        let recs = wire::parse_records(&f.body).unwrap_or_else(|e| panic!("view body: {e}"));
        assert_eq!(recs.len(), 1);
        assert_eq!(recs[0].body, s.body.as_bytes());
        assert_eq!(recs[0].topic, topic);
        assert_eq!(recs[0].physical_offset.to_string(), offset);
        assert_eq!(
            (i64::from(recs[0].queue_id), recs[0].queue_offset),
            (s.queue_id, s.queue_offset)
        );
    }
    // QUERY_MESSAGE by key: the index finds the record carrying that key (clients re-check keys).
    let s = &sent[3];
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    let end = (now + 60_000).to_string();
    let ext = [
        ("topic", topic.as_str()),
        ("key", s.key.as_str()),
        ("maxNum", "32"),
        ("beginTimestamp", "0"),
        ("endTimestamp", end.as_str()),
    ];
    // The index is built by the dispatcher after the append: poll until it answers (deadline).
    let found = wasmq_e2e::wait_until(Duration::from_secs(10), || {
        let f = wire::call(&tb.broker_addr(), QUERY_MESSAGE, &ext, b"");
        (f.code() == 0).then_some(f)
    })
    .unwrap_or_else(|| panic!("QUERY_MESSAGE by key {} found nothing", s.key));
    let recs = wire::parse_records(&found.body).unwrap_or_else(|e| panic!("query body: {e}"));
    let hits: Vec<_> = recs
        .iter()
        .filter(|r| r.properties.get("KEYS") == Some(&s.key))
        .collect();
    assert_eq!(hits.len(), 1, "records for key {}: {recs:?}", s.key);
    assert_eq!(hits[0].body, s.body.as_bytes());
    assert!(
        found.header["extFields"]["indexLastUpdateTimestamp"].is_string(),
        "{:?}",
        found.header
    );
    // A key nobody used: 22 QUERY_NOT_FOUND.
    let mut missing = ext;
    missing[1] = ("key", "no-such-key");
    assert_eq!(
        wire::call(&tb.broker_addr(), QUERY_MESSAGE, &missing, b"").code(),
        22
    );
}

#[test]
fn ons_sql92_subscription_receives_only_matching_messages() {
    let tb = TestBroker::start(BrokerOpts::new().set("enablePropertyFilter", "true"));
    let topic = unique_name("e2e_sql");
    let sent = ons_produce(&tb, &topic, 100, &["--tags", "TagA,TagB"]);
    // e2e_index is a string property: SQL92 coerces it for numeric comparisons, as Java does.
    // Tags alternate TagA (even i) / TagB (odd i); no message has a `color` property.
    /// A selector and which sent messages it should deliver.
    type Case = (&'static str, fn(&Sent) -> bool);
    let cases: [Case; 4] = [
        ("e2e_index >= 50 AND TAGS = 'TagA'", |s| {
            s.i >= 50 && s.tag == "TagA"
        }),
        (
            "e2e_index BETWEEN 10 AND 20 AND TAGS IN ('TagB', 'TagC')",
            |s| (10..=20).contains(&s.i) && s.tag == "TagB",
        ),
        ("color IS NULL AND e2e_index < 5", |s| s.i < 5),
        (
            "(color = 'red' OR e2e_index <> 7) AND NOT (e2e_index >= 9)",
            |s| s.i < 9 && s.i != 7,
        ),
    ];
    for (sql, matches) in cases {
        let wanted: Vec<Sent> = sent.iter().filter(|s| matches(s)).cloned().collect();
        assert!(!wanted.is_empty(), "{sql}: the case selects something");
        let count = wanted.len().to_string();
        let group = unique_name("g_sql");
        let mut p = node::spawn(
            "consume.js",
            &tb.namesrv_addr(),
            &[
                "--group",
                &group,
                "--topic",
                &topic,
                "--sql",
                sql,
                "--count",
                &count,
                "--linger-ms",
                "1500",
            ],
        );
        p.finish_ok(TIMEOUT);
        check::assert_exactly_once(&wanted, &check::received(p.events()));
    }
}
