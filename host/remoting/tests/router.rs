//! The router over real sockets: typed headers, answers, errors, oneway, concurrency, hooks.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use wasmq_protocol::header::NoHeader;
use wasmq_protocol::{RemotingCommand, RequestCode, ResponseCode, SerializeType, frame};
use wasmq_remoting::{RemotingClient, Request, Router, Server, ServerHandle};

const T: Duration = Duration::from_secs(5);

wasmq_protocol::command_header! {
    /// A test header.
    pub struct EchoHeader {
        /// Mandatory.
        topic: String => "topic",
        /// Optional number.
        delay_ms: Option<i64> => "delayMs",
    }
}

#[derive(Default)]
struct State {
    connects: AtomicUsize,
    disconnects: AtomicUsize,
    oneways: AtomicUsize,
}

async fn serve() -> (ServerHandle, Arc<State>) {
    let state = Arc::new(State::default());
    let router = Router::new(Arc::clone(&state))
        // Echoes the topic in the remark and the body back.
        .sync::<EchoHeader, _>(RequestCode::SendMessage, |_, req: Request<EchoHeader>| {
            RemotingCommand::success()
                .with_remark(req.header.topic)
                .with_body(req.body)
        })
        // Waits `delayMs`, then answers the topic.
        .asynchronous::<EchoHeader, _, _>(
            RequestCode::PullMessage,
            |_, req: Request<EchoHeader>| async move {
                let ms = u64::try_from(req.header.delay_ms.unwrap_or(0)).unwrap_or(0);
                tokio::time::sleep(Duration::from_millis(ms)).await;
                RemotingCommand::success().with_remark(req.header.topic)
            },
        )
        .sync::<NoHeader, _>(RequestCode::UpdateConsumerOffset, |s: &State, _| {
            s.oneways.fetch_add(1, Ordering::SeqCst);
            RemotingCommand::success()
        })
        // Answers with a body split into chunks.
        .sync::<NoHeader, _>(RequestCode::QueryMessage, |_, _| {
            let mut r = RemotingCommand::success().with_body(Bytes::from_static(b"head-"));
            r.body_chunks = vec![
                Bytes::from_static(b"chunk1-"),
                Bytes::from_static(b"chunk2"),
            ];
            r
        })
        .sync::<NoHeader, _>(RequestCode::LockBatchMq, |_, _| panic!("sync handler bug"))
        .asynchronous::<NoHeader, _, _>(RequestCode::UnlockBatchMq, |_, _| async {
            panic!("async handler bug")
        })
        .on_connect(|s, _| {
            s.connects.fetch_add(1, Ordering::SeqCst);
        })
        .on_disconnect(|s, _| {
            s.disconnects.fetch_add(1, Ordering::SeqCst);
        });
    let server = Server::bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    (server.start(Arc::new(router)).unwrap(), state)
}

fn echo(code: RequestCode, topic: &str, delay_ms: Option<i64>) -> RemotingCommand {
    RemotingCommand::request_with_header(
        code,
        0,
        &EchoHeader {
            topic: topic.into(),
            delay_ms,
        },
    )
}

async fn wait_until(mut cond: impl FnMut() -> bool) {
    let end = tokio::time::Instant::now() + T;
    while !cond() {
        assert!(
            tokio::time::Instant::now() < end,
            "condition not met within {T:?}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn sync_handler_answers_with_typed_header_and_body() {
    let (server, _) = serve().await;
    let c = RemotingClient::new();
    let addr = server.local_addr().to_string();
    let resp = c
        .invoke(
            &addr,
            echo(RequestCode::SendMessage, "T1", None).with_body(&b"payload"[..]),
            T,
        )
        .await
        .unwrap();
    assert_eq!(resp.code, 0);
    assert!(resp.is_response());
    assert_eq!(resp.remark.as_deref(), Some("T1"));
    assert_eq!(&resp.body[..], b"payload");
    assert_eq!(resp.version, wasmq_protocol::code::CURRENT_VERSION);
}

#[tokio::test]
async fn binary_requests_get_binary_answers() {
    let (server, _) = serve().await;
    let c = RemotingClient::new();
    let mut req = echo(RequestCode::SendMessage, "T", None);
    req.serialize_type = SerializeType::RocketMq;
    let resp = c
        .invoke(&server.local_addr().to_string(), req, T)
        .await
        .unwrap();
    assert_eq!(resp.serialize_type, SerializeType::RocketMq);
    assert_eq!(resp.remark.as_deref(), Some("T"));
}

#[tokio::test]
async fn unknown_code_and_bad_header_are_answered() {
    let (server, _) = serve().await;
    let c = RemotingClient::new();
    let addr = server.local_addr().to_string();
    let resp = c
        .invoke(&addr, RemotingCommand::request(9999, 0), T)
        .await
        .unwrap();
    assert_eq!(
        resp.response_code(),
        Some(ResponseCode::RequestCodeNotSupported)
    );
    assert_eq!(
        resp.remark.as_deref(),
        Some(" request type 9999 not supported")
    );

    // Missing mandatory field.
    let resp = c
        .invoke(
            &addr,
            RemotingCommand::request(RequestCode::SendMessage, 0),
            T,
        )
        .await
        .unwrap();
    assert_eq!(resp.response_code(), Some(ResponseCode::SystemError));
    assert!(resp.remark.unwrap().contains("topic"));

    // Unparseable optional field.
    let mut req = echo(RequestCode::PullMessage, "T", None);
    req.ext_fields.insert("delayMs", "soon");
    let resp = c.invoke(&addr, req, T).await.unwrap();
    assert_eq!(resp.response_code(), Some(ResponseCode::SystemError));
    assert!(resp.remark.unwrap().contains("delayMs"));
}

#[tokio::test]
async fn slow_requests_do_not_block_fast_ones() {
    let (server, _) = serve().await;
    let c = RemotingClient::new();
    let addr = server.local_addr().to_string();
    let slow = {
        let c = c.clone();
        let addr = addr.clone();
        tokio::spawn(async move {
            c.invoke(
                &addr,
                echo(RequestCode::PullMessage, "slow", Some(60_000)),
                T * 20,
            )
            .await
        })
    };
    // The slow one is held; a fast one on the same connection is answered meanwhile.
    let fast = c
        .invoke(&addr, echo(RequestCode::PullMessage, "fast", Some(0)), T)
        .await
        .unwrap();
    assert_eq!(fast.remark.as_deref(), Some("fast"));
    assert!(!slow.is_finished());
    slow.abort();
}

#[tokio::test]
async fn many_concurrent_requests_are_matched_by_opaque() {
    let (server, _) = serve().await;
    let c = RemotingClient::new();
    let addr = server.local_addr().to_string();
    let mut tasks = Vec::new();
    for i in 0..200i64 {
        let c = c.clone();
        let addr = addr.clone();
        tasks.push(tokio::spawn(async move {
            let resp = c
                .invoke(
                    &addr,
                    echo(
                        RequestCode::PullMessage,
                        &format!("t{i}"),
                        Some((200 - i) % 7),
                    ),
                    T,
                )
                .await
                .unwrap();
            assert_eq!(resp.remark, Some(format!("t{i}")));
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
}

#[tokio::test]
async fn oneway_requests_are_served_but_never_answered() {
    let (server, state) = serve().await;
    let mut s = TcpStream::connect(server.local_addr()).await.unwrap();
    let mut oneway = RemotingCommand::request(RequestCode::UpdateConsumerOffset, 1);
    oneway.set_oneway();
    let mut buf = bytes::BytesMut::new();
    frame::encode(&oneway, &mut buf).unwrap();
    // An unknown oneway code is not answered either.
    let mut unknown = RemotingCommand::request(9999, 2);
    unknown.set_oneway();
    frame::encode(&unknown, &mut buf).unwrap();
    frame::encode(
        &echo(RequestCode::SendMessage, "after", None).tap_opaque(3),
        &mut buf,
    )
    .unwrap();
    s.write_all(&buf).await.unwrap();
    // The first frame back answers opaque 3.
    let resp = read_frame(&mut s).await;
    assert_eq!(resp.opaque, 3);
    assert_eq!(state.oneways.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn body_chunks_arrive_as_one_body() {
    let (server, _) = serve().await;
    let c = RemotingClient::new();
    let resp = c
        .invoke(
            &server.local_addr().to_string(),
            RemotingCommand::request(RequestCode::QueryMessage, 0),
            T,
        )
        .await
        .unwrap();
    assert_eq!(&resp.body[..], b"head-chunk1-chunk2");
}

#[tokio::test]
async fn frames_split_and_coalesced_on_the_wire() {
    let (server, _) = serve().await;
    let mut s = TcpStream::connect(server.local_addr()).await.unwrap();
    let mut buf = bytes::BytesMut::new();
    for i in 0..3 {
        frame::encode(
            &echo(RequestCode::SendMessage, &format!("m{i}"), None).tap_opaque(i),
            &mut buf,
        )
        .unwrap();
    }
    // Byte by byte, flushing each, then the rest in one write.
    let (first, rest) = buf.split_at(20);
    for b in first {
        s.write_all(&[*b]).await.unwrap();
        s.flush().await.unwrap();
    }
    s.write_all(rest).await.unwrap();
    let mut seen: Vec<i32> = Vec::new();
    for _ in 0..3 {
        let r = read_frame(&mut s).await;
        assert_eq!(r.remark, Some(format!("m{}", r.opaque)));
        seen.push(r.opaque);
    }
    seen.sort_unstable();
    assert_eq!(seen, [0, 1, 2]);
}

#[tokio::test]
async fn connect_and_disconnect_hooks_run() {
    let (server, state) = serve().await;
    let c = RemotingClient::new();
    let addr = server.local_addr().to_string();
    c.invoke(&addr, echo(RequestCode::SendMessage, "x", None), T)
        .await
        .unwrap();
    assert_eq!(state.connects.load(Ordering::SeqCst), 1);
    c.close_all().await;
    wait_until(|| state.disconnects.load(Ordering::SeqCst) == 1).await;
}

#[tokio::test]
async fn malformed_frame_closes_only_its_connection() {
    let (server, state) = serve().await;
    let c = RemotingClient::new();
    let addr = server.local_addr().to_string();
    c.invoke(&addr, echo(RequestCode::SendMessage, "x", None), T)
        .await
        .unwrap();
    for bad in [
        0x7FFF_FFFFi32.to_be_bytes().to_vec(),
        [&8i32.to_be_bytes()[..], &[0, 0, 0, 9], b"{}{}"].concat(),
        b"\x16\x03\x01\x02\x00garbage-tls-hello".to_vec(),
    ] {
        let mut s = TcpStream::connect(server.local_addr()).await.unwrap();
        s.write_all(&bad).await.unwrap();
        let mut sink = [0u8; 64];
        let n = tokio::time::timeout(T, s.read(&mut sink))
            .await
            .expect("closed in time");
        assert!(matches!(n, Ok(0) | Err(_)), "{n:?}");
        let resp = c
            .invoke(&addr, echo(RequestCode::SendMessage, "still", None), T)
            .await
            .unwrap();
        assert_eq!(resp.remark.as_deref(), Some("still"));
    }
    wait_until(|| state.disconnects.load(Ordering::SeqCst) == 3).await;
}

/// Reads one whole frame, leaving any bytes of the next ones in the socket.
async fn read_frame(s: &mut TcpStream) -> RemotingCommand {
    let mut len = [0u8; 4];
    tokio::time::timeout(T, s.read_exact(&mut len))
        .await
        .unwrap()
        .unwrap();
    let n = usize::try_from(u32::from_be_bytes(len)).unwrap();
    let mut buf = bytes::BytesMut::from(&len[..]);
    buf.resize(n + 4, 0);
    tokio::time::timeout(T, s.read_exact(&mut buf[4..]))
        .await
        .unwrap()
        .unwrap();
    frame::decode(&mut buf).unwrap().unwrap()
}

trait TapOpaque {
    fn tap_opaque(self, opaque: i32) -> Self;
}

impl TapOpaque for RemotingCommand {
    fn tap_opaque(mut self, opaque: i32) -> Self {
        self.opaque = opaque;
        self
    }
}

#[tokio::test]
async fn a_panicking_handler_answers_1_and_the_connection_lives_on() {
    let (server, state) = serve().await;
    let c = RemotingClient::new();
    let addr = server.local_addr().to_string();
    for (code, text) in [
        (RequestCode::LockBatchMq, "sync handler bug"),
        (RequestCode::UnlockBatchMq, "async handler bug"),
    ] {
        let resp = c
            .invoke(&addr, RemotingCommand::request(code, 0), T)
            .await
            .unwrap();
        assert_eq!(resp.response_code(), Some(ResponseCode::SystemError));
        assert!(resp.remark.unwrap().contains(text));
    }
    let resp = c
        .invoke(&addr, echo(RequestCode::SendMessage, "alive", None), T)
        .await
        .unwrap();
    assert_eq!(resp.remark.as_deref(), Some("alive"));
    assert_eq!(
        state.connects.load(Ordering::SeqCst),
        1,
        "same connection throughout"
    );
}
