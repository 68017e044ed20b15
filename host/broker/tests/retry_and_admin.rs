//! Send-back into retry and dead-letter topics with delayed delivery; registration with a real
//! name server; query/view by key and id; the fast port.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::*;
use wasmq_protocol::header::broker::{
    ConsumerSendMsgBackRequestHeader, QueryMessageRequestHeader, ViewMessageRequestHeader,
};
use wasmq_protocol::header::namesrv::GetRouteInfoRequestHeader;
use wasmq_protocol::message::{keys, property};
use wasmq_protocol::{RemotingCommand, RequestCode, ResponseCode};

fn send_back(offset: i64, delay_level: i32, max: i32) -> RemotingCommand {
    RemotingCommand::request_with_header(
        RequestCode::ConsumerSendMsgBack,
        0,
        &ConsumerSendMsgBackRequestHeader {
            offset,
            group: "CG".into(),
            delay_level,
            origin_msg_id: None,
            origin_topic: Some("Orig".into()),
            unit_mode: Some(false),
            max_reconsume_times: Some(max),
        },
    )
}

#[tokio::test]
async fn send_back_goes_to_retry_after_its_delay_then_to_dlq() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(dir.path());
    c.message_delay_level = "1s 1s 1s 1s".into();
    let b = TestBroker::start_with(c, dir.path()).await;
    let r = b
        .call(send_v2(
            "Orig",
            0,
            &[("TAGS", "t"), ("UNIQ_KEY", "U1")],
            "payload",
        ))
        .await;
    assert_eq!(r.code, 0);
    let orig_msg_id = ext(&r, "msgId").to_owned();
    wait_dispatched(&b, "Orig", 0, 1).await;
    let first = records(&b.call(pull("CG", "Orig", 0, 0, Some("*"), None)).await).remove(0);

    let sent_back = Instant::now();
    let r = b.call(send_back(first.physical_offset, 0, 2)).await;
    assert_eq!(r.code, 0, "{r:?}");
    // Level 3 + reconsumeTimes(0) = 3 => 1 s here; a held pull on the retry topic wakes then.
    let p = b
        .call(pull("CG", "%RETRY%CG", 0, 0, Some("*"), Some(8_000)))
        .await;
    assert_eq!(p.code, 0, "{p:?}");
    let waited = sent_back.elapsed();
    assert!(
        waited >= Duration::from_millis(900),
        "delivered too early: {waited:?}"
    );
    assert!(
        waited < Duration::from_secs(5),
        "delivered late: {waited:?}"
    );
    let retry = records(&p).remove(0);
    assert_eq!(&retry.body[..], b"payload");
    assert_eq!(retry.reconsume_times, 1);
    assert_eq!(property(&retry.properties, keys::RETRY_TOPIC), Some("Orig"));
    assert_eq!(
        property(&retry.properties, keys::ORIGIN_MESSAGE_ID),
        Some(orig_msg_id.as_str())
    );
    assert_eq!(property(&retry.properties, keys::DELAY), None);
    assert_eq!(property(&retry.properties, keys::UNIQ_KEY), Some("U1"));

    // reconsumeTimes 1 >= maxReconsumeTimes 1 => dead-letter queue, no delay.
    let r = b.call(send_back(retry.physical_offset, 0, 1)).await;
    assert_eq!(r.code, 0, "{r:?}");
    wait_dispatched(&b, "%DLQ%CG", 0, 1).await;
    let dlq = records(&b.call(pull("CG", "%DLQ%CG", 0, 0, Some("*"), None)).await).remove(0);
    assert_eq!(dlq.reconsume_times, 2);
    assert_eq!(property(&dlq.properties, keys::RETRY_TOPIC), Some("Orig"));

    let missing = b.call(send_back(1 << 40, 0, 16)).await;
    assert_eq!(missing.code, ResponseCode::SystemError.as_i32());
    b.stop().await;
}

#[tokio::test]
async fn registers_with_the_name_server_and_reregisters_on_new_topics() {
    let ns_dir = tempfile::tempdir().unwrap();
    let ns_config = wasmq_namesrv::config::NamesrvConfig {
        kv_config_path: ns_dir.path().join("kv.json").display().to_string(),
        ..Default::default()
    };
    let ns = wasmq_namesrv::start(ns_config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let ns_addr = ns.local_addr().to_string();
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(dir.path());
    c.namesrv_addr = Some(format!("{ns_addr};"));
    let b = TestBroker::start_with(c, dir.path()).await;
    let route = |topic: &str| {
        RemotingCommand::request_with_header(
            RequestCode::GetRouteinfoByTopic,
            0,
            &GetRouteInfoRequestHeader {
                topic: topic.into(),
                accept_standard_json_only: Some(true),
            },
        )
    };
    let r = b
        .client
        .invoke(&ns_addr, route("TBW102"), TIMEOUT)
        .await
        .unwrap();
    assert_eq!(r.code, 0, "registered at start: {r:?}");
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(
        v["brokerDatas"][0]["brokerAddrs"]["0"],
        b.handle.broker_addr()
    );

    let s = b.call(send_v2("Registered", 0, &[], "x")).await;
    assert_eq!(s.code, 0);
    let mut registered = None;
    eventually("the auto-created topic registering", async || {
        let r = b
            .client
            .invoke(&ns_addr, route("Registered"), TIMEOUT)
            .await
            .unwrap();
        registered = (r.code == 0).then_some(r.body);
        registered.is_some()
    })
    .await;
    let v: serde_json::Value = serde_json::from_slice(&registered.unwrap()).unwrap();
    assert_eq!(v["queueDatas"][0]["writeQueueNums"], 4);
    b.stop().await;
    let r = b_client_route(&ns_addr, route("TBW102")).await;
    assert_eq!(
        r.code,
        ResponseCode::TopicNotExist.as_i32(),
        "unregistered at shutdown"
    );
    ns.shutdown().await.unwrap();
}

async fn b_client_route(addr: &str, cmd: RemotingCommand) -> RemotingCommand {
    wasmq_remoting::RemotingClient::new()
        .invoke(addr, cmd, TIMEOUT)
        .await
        .unwrap()
}

#[tokio::test]
async fn query_by_key_and_view_by_id() {
    let dir = tempfile::tempdir().unwrap();
    let b = TestBroker::start(dir.path()).await;
    let r = b
        .call(send_v2("Q", 0, &[("KEYS", "order-1 order-2")], "indexed"))
        .await;
    assert_eq!(r.code, 0);
    wait_dispatched(&b, "Q", 0, 1).await;
    let (_, offset) = wasmq_protocol::message::decode_offset_msg_id(ext(&r, "msgId")).unwrap();
    let v = b
        .call(RemotingCommand::request_with_header(
            RequestCode::ViewMessageById,
            0,
            &ViewMessageRequestHeader { offset },
        ))
        .await;
    assert_eq!(v.code, 0);
    assert_eq!(&records(&v)[0].body[..], b"indexed");
    let q = |key: &str| {
        RemotingCommand::request_with_header(
            RequestCode::QueryMessage,
            0,
            &QueryMessageRequestHeader {
                topic: "Q".into(),
                key: key.into(),
                max_num: 32,
                begin_timestamp: 0,
                end_timestamp: i64::MAX,
                unique_key_query: None,
            },
        )
    };
    let mut found = None;
    eventually("key order-2 indexed", async || {
        let r = b.call(q("order-2")).await;
        found = (r.code == 0).then_some(r);
        found.is_some()
    })
    .await;
    assert_eq!(&records(&found.unwrap())[0].body[..], b"indexed");
    let none = b.call(q("nope")).await;
    assert_eq!(none.code, ResponseCode::QueryNotFound.as_i32());
    b.stop().await;
}

#[tokio::test]
async fn fast_port_serves_all_but_pull() {
    let dir = tempfile::tempdir().unwrap();
    let mut attempt = 0;
    let (b, port) = loop {
        attempt += 1;
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = probe.local_addr().unwrap().port();
        drop(probe);
        if port < 1026 {
            continue;
        }
        let mut c = config(dir.path());
        c.listen_port = port;
        let store = open_store(store_config(dir.path()));
        match wasmq_broker::start(c, store.clone()).await {
            Ok(h) => break (h, port),
            Err(e) => {
                store.shutdown();
                assert!(attempt < 10, "no free port pair: {e}");
            }
        }
    };
    let fast: SocketAddr = ([127, 0, 0, 1], port - 2).into();
    let client = wasmq_remoting::RemotingClient::new();
    let s = client
        .invoke(&fast.to_string(), send_v2("Vip", 0, &[], "x"), TIMEOUT)
        .await
        .unwrap();
    assert_eq!(s.code, 0, "{s:?}");
    let p = client
        .invoke(
            &fast.to_string(),
            pull("CG", "Vip", 0, 0, Some("*"), None),
            TIMEOUT,
        )
        .await
        .unwrap();
    assert_eq!(p.code, ResponseCode::RequestCodeNotSupported.as_i32());
    client.close_all().await;
    b.shutdown().await;
}

#[tokio::test]
async fn admin_stats_and_connections() {
    use wasmq_protocol::header::broker::{
        ConsumerGroupRequestHeader, GetConsumeStatsRequestHeader, TopicRequestHeader,
        UpdateConsumerOffsetRequestHeader,
    };
    let dir = tempfile::tempdir().unwrap();
    let b = TestBroker::start(dir.path()).await;
    for _ in 0..3 {
        assert_eq!(b.call(send_v2("Stats", 1, &[], "x")).await.code, 0);
    }
    wait_dispatched(&b, "Stats", 1, 3).await;
    let r = b
        .call(RemotingCommand::request_with_header(
            RequestCode::GetTopicStatsInfo,
            0,
            &TopicRequestHeader {
                topic: "Stats".into(),
            },
        ))
        .await;
    let body = String::from_utf8(r.body.to_vec()).unwrap();
    assert!(
        body.contains(
            r#"{"brokerName":"broker-a","queueId":1,"topic":"Stats"}:{"lastUpdateTimestamp":"#
        ),
        "{body}"
    );
    assert!(body.contains(r#""maxOffset":3,"minOffset":0"#), "{body}");

    let hb = b.call(heartbeat("10.0.0.7@7", "SG", "Stats", "*")).await;
    assert_eq!(hb.code, 0);
    b.call(RemotingCommand::request_with_header(
        RequestCode::UpdateConsumerOffset,
        0,
        &UpdateConsumerOffsetRequestHeader {
            consumer_group: "SG".into(),
            topic: "Stats".into(),
            queue_id: 1,
            commit_offset: 2,
        },
    ))
    .await;
    let r = b
        .call(RemotingCommand::request_with_header(
            RequestCode::GetConsumeStats,
            0,
            &GetConsumeStatsRequestHeader {
                consumer_group: "SG".into(),
                topic: None,
            },
        ))
        .await;
    let body = String::from_utf8(r.body.to_vec()).unwrap();
    assert!(
        body.contains(r#""queueId":1,"topic":"Stats"}:{"brokerOffset":3,"consumerOffset":2"#),
        "{body}"
    );
    let r = b
        .call(RemotingCommand::request_with_header(
            RequestCode::GetConsumerConnectionList,
            0,
            &ConsumerGroupRequestHeader {
                consumer_group: "SG".into(),
            },
        ))
        .await;
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["connectionSet"][0]["clientId"], "10.0.0.7@7");
    assert_eq!(v["subscriptionTable"]["Stats"]["subString"], "*");
    let who = b
        .call(RemotingCommand::request_with_header(
            RequestCode::QueryTopicConsumeByWho,
            0,
            &TopicRequestHeader {
                topic: "Stats".into(),
            },
        ))
        .await;
    let v: serde_json::Value = serde_json::from_slice(&who.body).unwrap();
    assert_eq!(v["groupList"], serde_json::json!(["SG"]));
    let r = b
        .call(RemotingCommand::request_with_header(
            RequestCode::GetConsumerConnectionList,
            0,
            &ConsumerGroupRequestHeader {
                consumer_group: "Nobody".into(),
            },
        ))
        .await;
    assert_eq!(r.code, ResponseCode::ConsumerNotOnline.as_i32());
    b.stop().await;
}
