//! Send -> pull round trips through a real store and real sockets.

mod common;

use std::time::{Duration, Instant};

use common::*;
use wasmq_protocol::message::{keys, property};
use wasmq_protocol::{RemotingCommand, RequestCode, ResponseCode};

#[tokio::test]
async fn send_then_pull_keeps_body_and_properties() {
    let dir = tempfile::tempdir().unwrap();
    let b = TestBroker::start(dir.path()).await;
    let resp = b
        .call(send_v2(
            "RoundTrip",
            0,
            &[
                ("TAGS", "TagA"),
                ("KEYS", "k1 k2"),
                ("UNIQ_KEY", "ABCDEF0123"),
                ("WAIT", "true"),
                ("custom", "v"),
            ],
            "hello",
        ))
        .await;
    assert_eq!(resp.code, 0, "{resp:?}");
    assert_eq!(ext(&resp, "queueId"), "0");
    assert_eq!(ext(&resp, "queueOffset"), "0");
    assert_eq!(ext(&resp, "msgId").len(), 32);
    assert_eq!(ext(&resp, "MSG_REGION"), "DefaultRegion");
    assert_eq!(ext(&resp, "TRACE_ON"), "true");
    assert!(resp.version >= 232);
    wait_dispatched(&b, "RoundTrip", 0, 1).await;

    let p = b.call(pull("CG", "RoundTrip", 0, 0, Some("*"), None)).await;
    assert_eq!(p.code, 0, "{p:?}");
    assert_eq!(ext(&p, "nextBeginOffset"), "1");
    assert_eq!(ext(&p, "minOffset"), "0");
    assert_eq!(ext(&p, "maxOffset"), "1");
    assert_eq!(ext(&p, "suggestWhichBrokerId"), "0");
    let recs = records(&p);
    assert_eq!(recs.len(), 1);
    let r = &recs[0];
    assert_eq!(&r.body[..], b"hello");
    assert_eq!(r.topic, "RoundTrip");
    assert_eq!(r.born_timestamp, 1_700_000_000_000);
    assert_eq!(property(&r.properties, keys::TAGS), Some("TagA"));
    assert_eq!(property(&r.properties, keys::KEYS), Some("k1 k2"));
    assert_eq!(property(&r.properties, "custom"), Some("v"));
    assert_eq!(
        property(&r.properties, keys::CLUSTER),
        Some("DefaultCluster")
    );
    assert_eq!(property(&r.properties, keys::WAIT), None, "WAIT is dropped");
    assert_eq!(r.store_host.port(), b.handle.local_addr().port());
    assert!(r.born_host.ip().is_loopback());
    let (host, off) = wasmq_protocol::message::decode_offset_msg_id(ext(&resp, "msgId")).unwrap();
    assert_eq!((host, off), (r.store_host, r.physical_offset));

    // Nothing more: 19 with the offsets still sent.
    let p = b.call(pull("CG", "RoundTrip", 0, 1, Some("*"), None)).await;
    assert_eq!(p.code, ResponseCode::PullNotFound.as_i32());
    assert_eq!(ext(&p, "nextBeginOffset"), "1");
    assert_eq!(ext(&p, "maxOffset"), "1");
    // Far beyond max: offset moved, corrected to min (0) as Java does when min is 0.
    let p = b.call(pull("CG", "RoundTrip", 0, 7, Some("*"), None)).await;
    assert_eq!(p.code, ResponseCode::PullOffsetMoved.as_i32());
    assert_eq!(ext(&p, "nextBeginOffset"), "0");
    wait_dispatched(&b, "OFFSET_MOVED_EVENT", 0, 1).await;
    let ev = records(
        &b.call(pull("Tools", "OFFSET_MOVED_EVENT", 0, 0, Some("CG"), None))
            .await,
    );
    let v: serde_json::Value = serde_json::from_slice(&ev[0].body).unwrap();
    assert_eq!(
        (v["offsetRequest"].as_i64(), v["offsetNew"].as_i64()),
        (Some(7), Some(0))
    );
    b.stop().await;
}

#[tokio::test]
async fn tag_filter_by_header_and_by_heartbeat() {
    let dir = tempfile::tempdir().unwrap();
    let b = TestBroker::start(dir.path()).await;
    for tag in ["a", "b", "a", "c"] {
        let r = b.call(send_v2("Tags", 1, &[("TAGS", tag)], tag)).await;
        assert_eq!(r.code, 0, "{r:?}");
    }
    wait_dispatched(&b, "Tags", 1, 4).await;
    let p = b.call(pull("CG", "Tags", 1, 0, Some("a || c"), None)).await;
    assert_eq!(p.code, 0, "{p:?}");
    let got: Vec<String> = records(&p)
        .iter()
        .map(|r| String::from_utf8_lossy(&r.body).into_owned())
        .collect();
    assert_eq!(got, ["a", "a", "c"]);
    assert_eq!(ext(&p, "nextBeginOffset"), "4");

    // Without sysFlag bit2 the heartbeat subscription decides; unknown consumer => 24.
    let p = b.call(pull("CG2", "Tags", 1, 0, None, None)).await;
    assert_eq!(p.code, ResponseCode::SubscriptionNotExist.as_i32(), "{p:?}");
    let hb = b.call(heartbeat("127.0.0.1@1", "CG2", "Tags", "b")).await;
    assert_eq!(hb.code, 0, "{hb:?}");
    let p = b.call(pull("CG2", "Tags", 1, 0, None, None)).await;
    let got: Vec<String> = records(&p)
        .iter()
        .map(|r| String::from_utf8_lossy(&r.body).into_owned())
        .collect();
    assert_eq!(got, ["b"]);
    // Only non-matching entries after offset 2: 20 with the scan position advanced.
    let p = b.call(pull("CG2", "Tags", 1, 2, None, None)).await;
    assert_eq!(p.code, ResponseCode::PullRetryImmediately.as_i32(), "{p:?}");
    assert_eq!(ext(&p, "nextBeginOffset"), "4");
    b.stop().await;
}

#[tokio::test]
async fn held_pull_wakes_on_new_message() {
    let dir = tempfile::tempdir().unwrap();
    let b = TestBroker::start(dir.path()).await;
    let r = b.call(send_v2("Poll", 0, &[], "first")).await;
    assert_eq!(r.code, 0);
    wait_dispatched(&b, "Poll", 0, 1).await;
    let client = b.client.clone();
    let addr = b.addr.clone();
    let started = Instant::now();
    let held = tokio::spawn(async move {
        client
            .invoke(
                &addr,
                pull("CG", "Poll", 0, 1, Some("*"), Some(15_000)),
                Duration::from_secs(30),
            )
            .await
    });
    eventually("the pull being held", async || {
        b.handle.broker().holds.held() > 0
    })
    .await;
    // A send on the same connection is not blocked by the held pull.
    let r = b.call(send_v2("Poll", 0, &[], "second")).await;
    assert_eq!(r.code, 0);
    let p = held.await.unwrap().unwrap();
    let waited = started.elapsed();
    assert_eq!(p.code, 0, "{p:?}");
    assert!(waited < Duration::from_secs(5), "answered after {waited:?}");
    assert_eq!(&records(&p)[0].body[..], b"second");
    assert_eq!(b.handle.broker().holds.held(), 0);
    b.stop().await;
}

#[tokio::test]
async fn held_pull_times_out_with_19() {
    let dir = tempfile::tempdir().unwrap();
    let b = TestBroker::start(dir.path()).await;
    b.call(send_v2("Idle", 0, &[], "x")).await;
    wait_dispatched(&b, "Idle", 0, 1).await;
    let started = Instant::now();
    let p = b.call(pull("CG", "Idle", 0, 1, Some("*"), Some(300))).await;
    assert_eq!(p.code, ResponseCode::PullNotFound.as_i32());
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(ext(&p, "nextBeginOffset"), "1");
    b.stop().await;
}

#[tokio::test]
async fn unknown_topic_is_created_from_tbw102_unless_disabled() {
    let dir = tempfile::tempdir().unwrap();
    let b = TestBroker::start(dir.path()).await;
    let r = b.call(send_v2("Fresh", -1, &[], "x")).await;
    assert_eq!(r.code, 0, "{r:?}");
    let q: i32 = ext(&r, "queueId").parse().unwrap();
    assert!((0..4).contains(&q));
    let all = b
        .call(RemotingCommand::request(RequestCode::GetAllTopicConfig, 0))
        .await;
    let v: serde_json::Value = serde_json::from_slice(&all.body).unwrap();
    assert_eq!(v["topicConfigTable"]["Fresh"]["writeQueueNums"], 4);
    assert_eq!(v["topicConfigTable"]["Fresh"]["perm"], 6);
    let bad = b.call(send_v2("Fresh", 4, &[], "x")).await;
    assert_eq!(bad.code, 1, "queue id beyond the topic's queues: {bad:?}");
    let forbidden = b.call(send_v2("SCHEDULE_TOPIC_XXXX", 0, &[], "x")).await;
    assert_eq!(forbidden.code, ResponseCode::NoPermission.as_i32());
    b.stop().await;

    let dir = tempfile::tempdir().unwrap();
    let mut c = config(dir.path());
    c.auto_create_topic_enable = false;
    c.auto_create_subscription_group = false;
    let b = TestBroker::start_with(c, dir.path()).await;
    let r = b.call(send_v2("Fresh", 0, &[], "x")).await;
    assert_eq!(r.code, ResponseCode::TopicNotExist.as_i32(), "{r:?}");
    assert!(r.remark.unwrap_or_default().contains("not exist"));
    let r = b.call(send_v2("%RETRY%Unknown", 0, &[], "x")).await;
    assert_eq!(
        r.code,
        ResponseCode::SubscriptionGroupNotExist.as_i32(),
        "{r:?}"
    );
    b.stop().await;
}

#[tokio::test]
async fn batch_send_stores_each_item() {
    use wasmq_protocol::message::{BatchItem, encode_batch, encode_properties};
    let dir = tempfile::tempdir().unwrap();
    let b = TestBroker::start(dir.path()).await;
    let items: Vec<BatchItem> = (0..3)
        .map(|i| BatchItem {
            flag: 0,
            body: bytes::Bytes::from(format!("m{i}")),
            properties: encode_properties([("TAGS", "t"), ("UNIQ_KEY", format!("U{i}").as_str())]),
        })
        .collect();
    let mut cmd = send_v2("Batch", 0, &[], "");
    cmd.code = RequestCode::SendBatchMessage.as_i32();
    cmd.body = encode_batch(&items).unwrap();
    let r = b.call(cmd).await;
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(ext(&r, "msgId").split(',').count(), 3);
    wait_dispatched(&b, "Batch", 0, 3).await;
    let p = b.call(pull("CG", "Batch", 0, 0, Some("t"), None)).await;
    let recs = records(&p);
    assert_eq!(recs.len(), 3);
    assert_eq!(property(&recs[2].properties, keys::UNIQ_KEY), Some("U2"));
    assert_eq!(recs[2].queue_offset, 2);
    // CPP sends batches as SEND_MESSAGE_V2 with m=true.
    let mut cpp = send_v2("Batch", 0, &[], "");
    cpp.ext_fields.insert("m", "true");
    cpp.body = encode_batch(&items).unwrap();
    let r = b.call(cpp).await;
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(ext(&r, "queueOffset"), "3");
    assert_eq!(ext(&r, "msgId").split(',').count(), 3);
    b.stop().await;
}

#[tokio::test]
async fn oversized_message_is_13_and_slave_refuses_with_14() {
    let dir = tempfile::tempdir().unwrap();
    let store = common::open_store(wasmq_store::StoreConfig {
        max_message_size: 1024,
        ..store_config(dir.path())
    });
    let handle = wasmq_broker::start(config(dir.path()), store)
        .await
        .unwrap();
    let addr = handle
        .local_addr()
        .to_string()
        .replace("0.0.0.0", "127.0.0.1");
    let client = wasmq_remoting::RemotingClient::new();
    let big = "x".repeat(4096);
    let r = client
        .invoke(&addr, send_v2("Big", 0, &[], &big), TIMEOUT)
        .await
        .unwrap();
    assert_eq!(r.code, ResponseCode::MessageIllegal.as_i32(), "{r:?}");
    let small = client
        .invoke(&addr, send_v2("Big", 0, &[], "ok"), TIMEOUT)
        .await
        .unwrap();
    assert_eq!(small.code, 0);
    client.close_all().await;
    handle.shutdown().await;

    let dir = tempfile::tempdir().unwrap();
    let mut c = config(dir.path());
    c.broker_role = wasmq_broker::BrokerRole::Slave;
    c.broker_id = 1;
    let b = TestBroker::start_with(c, dir.path()).await;
    let r = b.call(send_v2("T", 0, &[], "x")).await;
    assert_eq!(r.code, ResponseCode::ServiceNotAvailable.as_i32());
    assert!(
        r.remark
            .unwrap_or_default()
            .starts_with("service not available now.")
    );
    b.stop().await;
}

#[tokio::test]
async fn client_resend_to_retry_topic_goes_to_dlq_when_exhausted() {
    let dir = tempfile::tempdir().unwrap();
    let b = TestBroker::start(dir.path()).await;
    let mut cmd = send_v2(
        "%RETRY%CG",
        0,
        &[("DELAY", "3"), ("RETRY_TOPIC", "T")],
        "gone",
    );
    cmd.ext_fields.insert("j", "16");
    let r = b.call(cmd).await;
    assert_eq!(r.code, 0, "{r:?}");
    wait_dispatched(&b, "%DLQ%CG", 0, 1).await;
    let dlq = records(&b.call(pull("CG", "%DLQ%CG", 0, 0, Some("*"), None)).await);
    assert_eq!(&dlq[0].body[..], b"gone");
    assert_eq!(property(&dlq[0].properties, keys::DELAY), None);
    // Not exhausted: parked in the schedule topic (level 3 => queue 2) with its real topic.
    let mut cmd = send_v2("%RETRY%CG", 0, &[("DELAY", "3")], "later");
    cmd.ext_fields.insert("j", "1");
    assert_eq!(b.call(cmd).await.code, 0);
    wait_dispatched(&b, "SCHEDULE_TOPIC_XXXX", 2, 1).await;
    b.stop().await;
}

#[tokio::test]
async fn sql92_filter_on_properties() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(dir.path());
    c.enable_property_filter = true;
    let b = TestBroker::start_with(c, dir.path()).await;
    for i in 0..6 {
        let color = if i % 2 == 0 { "red" } else { "blue" };
        let idx = i.to_string();
        let r = b
            .call(send_v2("Sql", 0, &[("color", color), ("idx", &idx)], &idx))
            .await;
        assert_eq!(r.code, 0);
    }
    wait_dispatched(&b, "Sql", 0, 6).await;
    let sql = |expr: &str, offset: i64| {
        let mut p = pull("CG", "Sql", 0, offset, Some(expr), None);
        p.ext_fields.insert("expressionType", "SQL92");
        p
    };
    let p = b.call(sql("color = 'red' AND idx > 1", 0)).await;
    assert_eq!(p.code, 0, "{p:?}");
    let got: Vec<String> = records(&p)
        .iter()
        .map(|r| String::from_utf8_lossy(&r.body).into_owned())
        .collect();
    assert_eq!(got, ["2", "4"]);
    assert_eq!(ext(&p, "nextBeginOffset"), "6");
    let none = b.call(sql("color = 'green'", 0)).await;
    assert_eq!(none.code, ResponseCode::PullRetryImmediately.as_i32());
    assert_eq!(ext(&none, "nextBeginOffset"), "6");
    let bad = b.call(sql("color = ", 0)).await;
    assert_eq!(
        bad.code,
        ResponseCode::SubscriptionParseFailed.as_i32(),
        "{bad:?}"
    );

    let check = |expr: &str| {
        let body = serde_json::json!({"clientId": "c", "group": "CG",
            "subscriptionData": {"topic": "Sql", "subString": expr, "expressionType": "SQL92"}});
        RemotingCommand::request(RequestCode::CheckClientConfig, 0).with_body(body.to_string())
    };
    assert_eq!(b.call(check("idx BETWEEN 1 AND 3")).await.code, 0);
    assert_eq!(
        b.call(check("idx BETWEEN")).await.code,
        ResponseCode::SubscriptionParseFailed.as_i32()
    );
    b.stop().await;

    // Property filtering disabled (the default): 1, as Java.
    let dir = tempfile::tempdir().unwrap();
    let b = TestBroker::start(dir.path()).await;
    b.call(send_v2("Sql", 0, &[("color", "red")], "x")).await;
    wait_dispatched(&b, "Sql", 0, 1).await;
    let p = b.call(sql("color = 'red'", 0)).await;
    assert_eq!(p.code, ResponseCode::SystemError.as_i32());
    assert_eq!(b.call(check("idx > 1")).await.code, 1);
    b.stop().await;
}

#[tokio::test]
async fn admin_created_multi_tag_topic_marks_messages() {
    use wasmq_protocol::header::broker::CreateTopicRequestHeader;
    let dir = tempfile::tempdir().unwrap();
    let b = TestBroker::start(dir.path()).await;
    let create = RemotingCommand::request_with_header(
        RequestCode::UpdateAndCreateTopic,
        0,
        &CreateTopicRequestHeader {
            topic: "Multi".into(),
            default_topic: Some("TBW102".into()),
            read_queue_nums: 2,
            write_queue_nums: 2,
            perm: 6,
            topic_filter_type: Some("MULTI_TAG".into()),
            topic_sys_flag: Some(0),
            order: Some(false),
            ..Default::default()
        },
    );
    assert_eq!(b.call(create).await.code, 0);
    let bad = b.call(send_v2("Multi", 2, &[], "x")).await;
    assert_eq!(bad.code, 1, "only 2 queues");
    assert_eq!(
        b.call(send_v2("Multi", 1, &[("TAGS", "a")], "x"))
            .await
            .code,
        0
    );
    wait_dispatched(&b, "Multi", 1, 1).await;
    let recs = records(&b.call(pull("CG", "Multi", 1, 0, Some("*"), None)).await);
    assert_eq!(recs[0].sys_flag & 0x2, 0x2, "MULTI_TAGS flag");
    let system = RemotingCommand::request_with_header(
        RequestCode::UpdateAndCreateTopic,
        0,
        &CreateTopicRequestHeader {
            topic: "TBW102".into(),
            read_queue_nums: 1,
            write_queue_nums: 1,
            perm: 6,
            ..Default::default()
        },
    );
    assert_eq!(
        b.call(system).await.code,
        1,
        "system topics are not overwritten"
    );
    b.stop().await;
}

#[tokio::test]
async fn pull_commits_the_offset_it_carries() {
    use wasmq_protocol::header::broker::QueryConsumerOffsetRequestHeader;
    let dir = tempfile::tempdir().unwrap();
    let b = TestBroker::start(dir.path()).await;
    assert_eq!(b.call(send_v2("Commit", 0, &[], "x")).await.code, 0);
    wait_dispatched(&b, "Commit", 0, 1).await;
    let mut p = pull("CG", "Commit", 0, 0, Some("*"), None);
    p.ext_fields.insert("sysFlag", "5");
    p.ext_fields.insert("commitOffset", "1");
    assert_eq!(b.call(p).await.code, 0);
    let q = b
        .call(RemotingCommand::request_with_header(
            RequestCode::QueryConsumerOffset,
            0,
            &QueryConsumerOffsetRequestHeader {
                consumer_group: "CG".into(),
                topic: "Commit".into(),
                queue_id: 0,
            },
        ))
        .await;
    assert_eq!(ext(&q, "offset"), "1");
    b.stop().await;
}
