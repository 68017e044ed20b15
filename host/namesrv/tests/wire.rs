//! Wire-level behaviour: binary headers, lenient extFields, malformed frames.

mod common;

use std::time::Duration;

use bytes::{BufMut, BytesMut};
use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use wasmq_protocol::{RemotingCommand, RequestCode, SerializeType, frame};
use wasmq_remoting::RemotingClient;

/// Reads one whole frame from `s`.
async fn read_frame(s: &mut TcpStream) -> RemotingCommand {
    let mut len = [0u8; 4];
    s.read_exact(&mut len).await.unwrap();
    let n = u32::from_be_bytes(len) as usize;
    let mut buf = BytesMut::with_capacity(n + 4);
    buf.put_slice(&len);
    buf.resize(n + 4, 0);
    s.read_exact(&mut buf[4..]).await.unwrap();
    frame::decode(&mut buf).unwrap().unwrap()
}

/// A frame with a hand-written JSON header.
fn json_frame(header: &str, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&((4 + header.len() + body.len()) as i32).to_be_bytes());
    out.extend_from_slice(&(header.len() as i32).to_be_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(body);
    out
}

#[tokio::test]
async fn binary_request_gets_binary_response() {
    let ns = start().await;
    let mut s = TcpStream::connect(ns.addr()).await.unwrap();
    let mut cmd = register_cmd("broker-a", "10.0.0.1:10911", 0, &[("T", 4)], 1);
    cmd.serialize_type = SerializeType::RocketMq;
    cmd.opaque = 77;
    let mut buf = BytesMut::new();
    frame::encode(&cmd, &mut buf).unwrap();
    s.write_all(&buf).await.unwrap();
    let mut head = [0u8; 8];
    s.peek(&mut head).await.unwrap();
    assert_eq!(head[4], 1, "header mark's type byte is ROCKETMQ");
    let resp = read_frame(&mut s).await;
    assert_eq!(resp.serialize_type, SerializeType::RocketMq);
    assert_eq!((resp.code, resp.opaque), (0, 77));
    assert!(resp.is_response());

    // Through the client too, for a route.
    let c = RemotingClient::new();
    let mut req = RemotingCommand::request_with_header(
        RequestCode::GetRouteinfoByTopic,
        0,
        &wasmq_protocol::header::namesrv::GetRouteInfoRequestHeader {
            topic: "T".into(),
            accept_standard_json_only: None,
        },
    );
    req.serialize_type = SerializeType::RocketMq;
    let resp = call(&c, &ns.addr(), req).await;
    assert_eq!(resp.serialize_type, SerializeType::RocketMq);
    assert_eq!(resp.code, 0);
}

#[tokio::test]
async fn numbers_and_booleans_in_ext_fields() {
    let ns = start().await;
    let mut s = TcpStream::connect(ns.addr()).await.unwrap();
    let body = java_register_body(&[("OnsTopic", 4)], 1);
    let header = r#"{"code":103,"language":"JAVA","version":121,"opaque":5,"flag":0,"extFields":{"brokerName":"broker-a","brokerAddr":"10.0.0.1:10911","clusterName":"DefaultCluster","haServerAddr":"10.0.0.1:10912","brokerId":0,"compressed":false,"bodyCrc32":0}}"#;
    s.write_all(&json_frame(header, &body)).await.unwrap();
    let resp = read_frame(&mut s).await;
    assert_eq!((resp.code, resp.opaque), (0, 5), "{:?}", resp.remark);

    // ali-ons style route request (trailing newline like CPP, boolean scalar).
    let header = "{\"code\":105,\"language\":\"JAVA\",\"version\":121,\"opaque\":6,\"flag\":0,\"remark\":\"\",\"extFields\":{\"topic\":\"OnsTopic\",\"acceptStandardJsonOnly\":true}}\n";
    s.write_all(&json_frame(header, b"")).await.unwrap();
    let resp = read_frame(&mut s).await;
    assert_eq!((resp.code, resp.opaque), (0, 6), "{:?}", resp.remark);
    let route: wasmq_protocol::body::namesrv::TopicRouteData =
        serde_json::from_slice(&resp.body).unwrap();
    assert_eq!(route.queue_datas[0].broker_name, "broker-a");
}

#[tokio::test]
async fn unknown_code_is_answered_3() {
    let ns = start().await;
    let c = RemotingClient::new();
    let resp = call(&c, &ns.addr(), RemotingCommand::request(217, 0)).await;
    assert_eq!(resp.code, 3);
    assert_eq!(
        resp.remark.as_deref(),
        Some(" request type 217 not supported")
    );
}

/// Waits for the server to close `s` (EOF or reset), at most a few seconds.
async fn assert_closed(mut s: TcpStream, what: &str) {
    let mut sink = [0u8; 256];
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match s.read(&mut sink).await {
                Ok(0) | Err(_) => return,
                Ok(_) => continue,
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "connection not closed after {what}");
}

#[tokio::test]
async fn malformed_frames_close_only_their_connection() {
    let ns = start().await;
    let good = RemotingClient::new();
    call(
        &good,
        &ns.addr(),
        register_cmd("broker-a", "10.0.0.1:10911", 0, &[("T", 4)], 1),
    )
    .await;

    let mut two_gib = Vec::new();
    two_gib.extend_from_slice(&0x7FFF_FFFFi32.to_be_bytes());
    two_gib.extend_from_slice(&[0, 0, 0, 2, b'{', b'}']);
    let mut header_too_long = Vec::new();
    header_too_long.extend_from_slice(&8i32.to_be_bytes());
    header_too_long.extend_from_slice(&100i32.to_be_bytes());
    header_too_long.extend_from_slice(b"{}{}");
    let mut negative = Vec::new();
    negative.extend_from_slice(&(-1i32).to_be_bytes());
    let mut tiny = Vec::new();
    tiny.extend_from_slice(&2i32.to_be_bytes());
    tiny.extend_from_slice(b"ab");
    let mut bad_type = json_frame(r#"{"code":105}"#, b"");
    bad_type[4] = 7;
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("garbage", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec()),
        ("a 2 GiB length prefix", two_gib),
        ("a header longer than the frame", header_too_long),
        ("a negative length", negative),
        ("a length too small for a header mark", tiny),
        ("an unknown serialize type", bad_type),
        (
            "a header that is not JSON",
            json_frame("not json at all", b""),
        ),
    ];
    for (what, bytes) in cases {
        let mut s = TcpStream::connect(ns.addr()).await.unwrap();
        s.write_all(&bytes).await.unwrap();
        assert_closed(s, what).await;
        // Everyone else is still served.
        let r = route(&good, &ns.addr(), "T").await;
        assert!(r.is_ok(), "server stopped answering after {what}");
    }
    // Including a brand-new connection.
    let fresh = RemotingClient::new();
    assert!(route(&fresh, &ns.addr(), "T").await.is_ok());
}
