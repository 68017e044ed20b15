//! Heartbeats, consumer lists, NOTIFY_CONSUMER_IDS_CHANGED, offsets across restarts, oneway.

mod common;

use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use common::*;
use parking_lot::Mutex;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wasmq_protocol::header::broker::{
    ConsumerGroupRequestHeader, QueryConsumerOffsetRequestHeader, QueueRequestHeader,
    UnregisterClientRequestHeader, UpdateConsumerOffsetRequestHeader,
};
use wasmq_protocol::{RemotingCommand, RequestCode, ResponseCode, frame};
use wasmq_remoting::{Connection, Dispatch, RemotingClient, Service};

fn query_offset(group: &str, topic: &str, q: i32) -> RemotingCommand {
    RemotingCommand::request_with_header(
        RequestCode::QueryConsumerOffset,
        0,
        &QueryConsumerOffsetRequestHeader {
            consumer_group: group.into(),
            topic: topic.into(),
            queue_id: q,
        },
    )
}

#[tokio::test]
async fn malformed_heartbeat_gets_an_error_answer() {
    let dir = tempfile::tempdir().unwrap();
    let b = TestBroker::start(dir.path()).await;
    let r = b
        .call(RemotingCommand::request(RequestCode::HeartBeat, 0).with_body("{not json"))
        .await;
    assert_eq!(r.code, ResponseCode::SystemError.as_i32());
    assert!(r.remark.unwrap_or_default().contains("heartbeat"));
    // The connection still works.
    let ok = b.call(heartbeat("127.0.0.1@9", "CG", "T", "*")).await;
    assert_eq!(ok.code, 0);
    assert_eq!(ok.version, wasmq_protocol::code::CURRENT_VERSION);
    b.stop().await;
}

#[tokio::test]
async fn offsets_survive_a_clean_restart() {
    let dir = tempfile::tempdir().unwrap();
    let b = TestBroker::start(dir.path()).await;
    b.call(send_v2("Off", 0, &[], "x")).await;
    b.call(send_v2("Off", 0, &[], "y")).await;
    wait_dispatched(&b, "Off", 0, 2).await;
    // Never committed, queue starts at 0: offset 0.
    let r = b.call(query_offset("CG", "Off", 0)).await;
    assert_eq!((r.code, ext(&r, "offset")), (0, "0"));
    let mut upd = RemotingCommand::request_with_header(
        RequestCode::UpdateConsumerOffset,
        0,
        &UpdateConsumerOffsetRequestHeader {
            consumer_group: "CG".into(),
            topic: "Off".into(),
            queue_id: 0,
            commit_offset: 2,
        },
    );
    upd.set_oneway();
    b.client.invoke_oneway(&b.addr, upd).await.unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let r = b.call(query_offset("CG", "Off", 0)).await;
        if ext(&r, "offset") == "2" {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "oneway offset update never applied"
        );
    }
    let max = b
        .call(RemotingCommand::request_with_header(
            RequestCode::GetMaxOffset,
            0,
            &QueueRequestHeader {
                topic: "Off".into(),
                queue_id: 0,
            },
        ))
        .await;
    assert_eq!(ext(&max, "offset"), "2");
    b.stop().await;

    let text = std::fs::read_to_string(dir.path().join("config/consumerOffset.json")).unwrap();
    assert!(text.contains("Off@CG"), "{text}");
    let b = TestBroker::start(dir.path()).await;
    let r = b.call(query_offset("CG", "Off", 0)).await;
    assert_eq!((r.code, ext(&r, "offset")), (0, "2"));
    let max = b
        .call(RemotingCommand::request_with_header(
            RequestCode::GetMaxOffset,
            0,
            &QueueRequestHeader {
                topic: "Off".into(),
                queue_id: 0,
            },
        ))
        .await;
    assert_eq!(ext(&max, "offset"), "2", "messages survive too");
    b.stop().await;
}

/// Records NOTIFY_CONSUMER_IDS_CHANGED pushed by the broker.
#[derive(Default)]
struct Notifications(Mutex<Vec<String>>);

impl Service for Notifications {
    fn call(&self, _conn: &Connection, request: RemotingCommand) -> Dispatch {
        if request.code == RequestCode::NotifyConsumerIdsChanged.as_i32() {
            let h: ConsumerGroupRequestHeader = request.decode_header().unwrap();
            self.0.lock().push(h.consumer_group);
        }
        Dispatch::Ready(None)
    }
}

#[tokio::test]
async fn consumer_list_and_membership_notifications() {
    let dir = tempfile::tempdir().unwrap();
    let b = TestBroker::start(dir.path()).await;
    let none = b
        .call(RemotingCommand::request_with_header(
            RequestCode::GetConsumerListByGroup,
            0,
            &ConsumerGroupRequestHeader {
                consumer_group: "CG".into(),
            },
        ))
        .await;
    assert_eq!(none.code, 1);
    assert!(
        none.remark
            .unwrap_or_default()
            .contains("no consumer for this group")
    );

    let seen = Arc::new(Notifications::default());
    let c1 = RemotingClient::with_service(seen.clone());
    let r = c1
        .invoke(&b.addr, heartbeat("10.0.0.1@1", "CG", "T", "*"), TIMEOUT)
        .await
        .unwrap();
    assert_eq!(r.code, 0);
    let r = b.call(heartbeat("10.0.0.2@2", "CG", "T", "*")).await;
    assert_eq!(r.code, 0);
    eventually("NOTIFY_CONSUMER_IDS_CHANGED", async || {
        seen.0.lock().contains(&"CG".to_string())
    })
    .await;
    let list = b
        .call(RemotingCommand::request_with_header(
            RequestCode::GetConsumerListByGroup,
            0,
            &ConsumerGroupRequestHeader {
                consumer_group: "CG".into(),
            },
        ))
        .await;
    let v: serde_json::Value = serde_json::from_slice(&list.body).unwrap();
    assert_eq!(
        v["consumerIdList"],
        serde_json::json!(["10.0.0.1@1", "10.0.0.2@2"])
    );
    // The group's retry topic exists now.
    assert!(b.handle.broker().topics.get("%RETRY%CG").is_some());

    // Unregister c2; closing c1's connection drops it at once.
    let r = b
        .call(RemotingCommand::request_with_header(
            RequestCode::UnregisterClient,
            0,
            &UnregisterClientRequestHeader {
                client_id: "10.0.0.2@2".into(),
                producer_group: Some("PG".into()),
                consumer_group: Some("CG".into()),
            },
        ))
        .await;
    assert_eq!(r.code, 0);
    assert_eq!(b.handle.broker().clients.consumer_ids("CG"), ["10.0.0.1@1"]);
    c1.close_all().await;
    eventually("closed channel dropped", async || {
        b.handle.broker().clients.consumer_ids("CG").is_empty()
    })
    .await;
    b.stop().await;
}

#[tokio::test]
async fn oneway_send_is_stored_but_not_answered() {
    let dir = tempfile::tempdir().unwrap();
    let b = TestBroker::start(dir.path()).await;
    let mut sock = tokio::net::TcpStream::connect(&b.addr).await.unwrap();
    let mut send = send_v2("OneWay", 0, &[], "quiet");
    send.opaque = 41;
    send.set_oneway();
    let mut ask = RemotingCommand::request_with_header(
        RequestCode::GetMaxOffset,
        0,
        &QueueRequestHeader {
            topic: "OneWay".into(),
            queue_id: 0,
        },
    );
    ask.opaque = 42;
    let mut out = BytesMut::new();
    frame::encode(&send, &mut out).unwrap();
    sock.write_all(&out).await.unwrap();
    wait_dispatched(&b, "OneWay", 0, 1).await;
    out.clear();
    frame::encode(&ask, &mut out).unwrap();
    sock.write_all(&out).await.unwrap();
    let mut buf = BytesMut::new();
    let first = loop {
        if let Some(f) = frame::decode(&mut buf).unwrap() {
            break f;
        }
        let n = tokio::time::timeout(TIMEOUT, sock.read_buf(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0, "broker closed the connection");
    };
    assert_eq!(
        first.opaque, 42,
        "the first frame must answer the second request: {first:?}"
    );
    assert_eq!(ext(&first, "offset"), "1");
    b.stop().await;
}

#[tokio::test]
async fn silent_clients_expire() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(dir.path());
    c.channel_expired_timeout = 1_500;
    let b = TestBroker::start_with(c, dir.path()).await;
    let r = b.call(heartbeat("10.0.0.1@1", "CG", "T", "*")).await;
    assert_eq!(r.code, 0);
    assert_eq!(b.handle.broker().clients.consumer_ids("CG").len(), 1);
    eventually("silent channel expired", async || {
        b.handle.broker().clients.consumer_ids("CG").is_empty()
    })
    .await;
    b.stop().await;
}

#[tokio::test]
async fn every_client_code_is_routed_and_others_answer_3() {
    let dir = tempfile::tempdir().unwrap();
    let b = TestBroker::start(dir.path()).await;
    let router = wasmq_broker::processor::router(
        b.handle.broker().clone(),
        wasmq_broker::processor::Port::Main,
    );
    let served: Vec<i32> = router.codes().iter().map(|(c, _)| *c).collect();
    // Codes the Java, Go, Node and C++ clients send to brokers (doc 2.2).
    for code in [
        10, 11, 12, 14, 15, 17, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 41, 42, 46, 310, 320,
    ] {
        assert!(served.contains(&code), "client code {code} is not routed");
    }
    // GET_KV_CONFIG_BY_VALUE, defined by ali-ons, is no 4.9.x code.
    let r = b.call(RemotingCommand::request(217, 0)).await;
    assert_eq!(r.code, ResponseCode::RequestCodeNotSupported.as_i32());
    assert_eq!(r.remark.as_deref(), Some(" request type 217 not supported"));
    b.stop().await;
}

/// Records RESET_CONSUMER_CLIENT_OFFSET bodies.
#[derive(Default)]
struct Resets(Mutex<Vec<String>>);

impl Service for Resets {
    fn call(&self, _conn: &Connection, request: RemotingCommand) -> Dispatch {
        if request.code == RequestCode::ResetConsumerClientOffset.as_i32() {
            self.0
                .lock()
                .push(String::from_utf8_lossy(&request.body).into_owned());
        }
        Dispatch::Ready(None)
    }
}

#[tokio::test]
async fn reset_offset_tells_the_consumers() {
    use wasmq_protocol::header::broker::ResetOffsetRequestHeader;
    let dir = tempfile::tempdir().unwrap();
    let b = TestBroker::start(dir.path()).await;
    for _ in 0..3 {
        assert_eq!(b.call(send_v2("Reset", 0, &[], "x")).await.code, 0);
    }
    wait_dispatched(&b, "Reset", 0, 3).await;
    let resets = Arc::new(Resets::default());
    let consumer = RemotingClient::with_service(resets.clone());
    let hb = consumer
        .invoke(
            &b.addr,
            heartbeat("10.0.0.3@3", "RG", "Reset", "*"),
            TIMEOUT,
        )
        .await
        .unwrap();
    assert_eq!(hb.code, 0);
    for q in 0..4 {
        b.handle.broker().offsets.commit("RG", "Reset", q, 1);
    }
    let reset = |timestamp, is_force| {
        RemotingCommand::request_with_header(
            RequestCode::InvokeBrokerToResetOffset,
            0,
            &ResetOffsetRequestHeader {
                topic: "Reset".into(),
                group: "RG".into(),
                timestamp,
                is_force,
            },
        )
    };
    let r = b.call(reset(-1, true)).await;
    assert_eq!(r.code, 0, "{r:?}");
    let body = String::from_utf8_lossy(&r.body).into_owned();
    assert!(body.contains(r#""queueId":0,"topic":"Reset"}:3"#), "{body}");
    // Not forced: an offset ahead of the committed one is not taken.
    let r = b.call(reset(-1, false)).await;
    let body2 = String::from_utf8_lossy(&r.body).into_owned();
    assert!(
        body2.contains(r#""queueId":0,"topic":"Reset"}:1"#),
        "{body2}"
    );
    eventually("consumer told of both resets", async || {
        resets.0.lock().len() >= 2
    })
    .await;
    assert_eq!(resets.0.lock()[0], body);
    let unknown = b
        .call(RemotingCommand::request_with_header(
            RequestCode::InvokeBrokerToResetOffset,
            0,
            &ResetOffsetRequestHeader {
                topic: "Reset".into(),
                group: "Nobody".into(),
                timestamp: -1,
                is_force: true,
            },
        ))
        .await;
    assert_eq!(unknown.code, 1);
    consumer.close_all().await;
    b.stop().await;
}

/// A requesting producer: acknowledges PUSH_REPLY_MESSAGE_TO_CLIENT and keeps the bodies.
#[derive(Default)]
struct Requester(Mutex<Vec<(String, Vec<u8>)>>);

impl Service for Requester {
    fn call(&self, _conn: &Connection, request: RemotingCommand) -> Dispatch {
        if request.code != RequestCode::PushReplyMessageToClient.as_i32() {
            return Dispatch::Ready(None);
        }
        let props = request.ext_fields.get("properties").unwrap_or_default();
        let corr = wasmq_protocol::message::property(props, "CORRELATION_ID").unwrap_or_default();
        self.0.lock().push((corr.to_owned(), request.body.to_vec()));
        Dispatch::Ready(Some(RemotingCommand::success().answering(&request)))
    }
}

#[tokio::test]
async fn replies_are_pushed_to_the_requesting_producer_and_stored() {
    let dir = tempfile::tempdir().unwrap();
    let b = TestBroker::start(dir.path()).await;
    let requester = Arc::new(Requester::default());
    let client = RemotingClient::with_service(requester.clone());
    let hb = client
        .invoke(&b.addr, heartbeat("10.0.0.4@4", "CG", "T", "*"), TIMEOUT)
        .await
        .unwrap();
    assert_eq!(hb.code, 0);
    let reply = |to: &str| {
        let mut c = send_v2(
            "DefaultCluster_REPLY_TOPIC",
            0,
            &[
                ("REPLY_TO_CLIENT", to),
                ("CORRELATION_ID", "corr-1"),
                ("MSG_TYPE", "reply"),
            ],
            "the answer",
        );
        c.code = RequestCode::SendReplyMessageV2.as_i32();
        c
    };
    let r = b.call(reply("10.0.0.4@4")).await;
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        requester.0.lock().as_slice(),
        [("corr-1".to_string(), b"the answer".to_vec())]
    );
    let missing = b.call(reply("10.9.9.9@9")).await;
    assert_eq!(missing.code, 1);
    assert!(missing.remark.unwrap_or_default().contains("not found"));
    wait_dispatched(&b, "DefaultCluster_REPLY_TOPIC", 0, 2).await;
    client.close_all().await;
    b.stop().await;
}

#[tokio::test]
async fn acl_denies_unsigned_and_unpermitted_requests() {
    let dir = tempfile::tempdir().unwrap();
    let acl_file = dir.path().join("plain_acl.yml");
    std::fs::write(
        &acl_file,
        "accounts:\n  - accessKey: producer1\n    secretKey: secret123\n    admin: false\n    \
         defaultTopicPerm: DENY\n    defaultGroupPerm: SUB\n    topicPerms:\n      - Allowed=PUB\n",
    )
    .unwrap();
    let mut c = config(dir.path());
    c.acl_enable = true;
    c.acl_plain_file = acl_file;
    let b = TestBroker::start_with(c, dir.path()).await;
    let unsigned = b.call(send_v2("Allowed", 0, &[], "x")).await;
    assert_eq!(unsigned.code, 1);
    assert!(unsigned.remark.unwrap_or_default().contains("No accessKey"));
    let sign = |mut cmd: RemotingCommand| {
        cmd.ext_fields.insert("AccessKey", "producer1");
        let sig = wasmq_broker::acl::signature(&cmd, "secret123");
        cmd.ext_fields.insert("Signature", sig);
        cmd
    };
    let ok = b.call(sign(send_v2("Allowed", 0, &[], "x"))).await;
    assert_eq!(ok.code, 0, "{ok:?}");
    let other = b.call(sign(send_v2("Other", 0, &[], "x"))).await;
    assert_eq!(other.code, 1);
    assert!(
        other
            .remark
            .unwrap_or_default()
            .contains("No default permission for Other")
    );
    b.stop().await;
}
