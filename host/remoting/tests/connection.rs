//! Connections and the client: timeouts, closes, server-initiated requests, reconnects, limits.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use wasmq_protocol::header::NoHeader;
use wasmq_protocol::{MAX_FRAME_LEN, RemotingCommand, RequestCode, ResponseCode};
use wasmq_remoting::{ClientError, RemotingClient, Request, Router, Server, ServerHandle};

const T: Duration = Duration::from_secs(5);

struct State;

async fn serve() -> ServerHandle {
    let router = Router::new(Arc::new(State))
        // Never answers within any sane deadline.
        .asynchronous::<NoHeader, _, _>(RequestCode::PullMessage, |_, _| async {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            RemotingCommand::success()
        })
        // Answers after 300 ms.
        .asynchronous::<NoHeader, _, _>(RequestCode::QueryMessage, |_, _| async {
            tokio::time::sleep(Duration::from_millis(300)).await;
            RemotingCommand::success().with_remark("late")
        })
        // Closes the connection it came on.
        .sync::<NoHeader, _>(
            RequestCode::UnregisterClient,
            |_, req: Request<NoHeader>| {
                req.conn.close();
                RemotingCommand::success()
            },
        )
        // Asks the client something on the same connection and relays the answer
        // (as a broker asks a producer CHECK_TRANSACTION_STATE).
        .asynchronous::<NoHeader, _, _>(
            RequestCode::HeartBeat,
            |_, req: Request<NoHeader>| async move {
                let ask = RemotingCommand::request(RequestCode::GetConsumerRunningInfo, 0);
                match req.conn.request(ask, T).await {
                    Ok(answer) => {
                        RemotingCommand::success().with_remark(answer.remark.unwrap_or_default())
                    }
                    Err(e) => RemotingCommand::error(ResponseCode::SystemError, e.to_string()),
                }
            },
        )
        .sync::<NoHeader, _>(RequestCode::SendMessage, |_, req: Request<NoHeader>| {
            RemotingCommand::success().with_body(Bytes::from(req.body.len().to_string()))
        });
    let server = Server::bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    server.start(Arc::new(router)).unwrap()
}

#[tokio::test]
async fn timeout_then_late_answer_is_dropped() {
    let server = serve().await;
    let addr = server.local_addr().to_string();
    let c = RemotingClient::new();
    let e = c
        .invoke(
            &addr,
            RemotingCommand::request(RequestCode::QueryMessage, 0),
            Duration::from_millis(50),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, ClientError::Timeout { millis: 50, .. }), "{e}");
    // The late answer (for a forgotten opaque) does not disturb the next request.
    let ok = c
        .invoke(
            &addr,
            RemotingCommand::request(RequestCode::QueryMessage, 0),
            T,
        )
        .await
        .unwrap();
    assert_eq!(ok.remark.as_deref(), Some("late"));
}

#[tokio::test]
async fn pending_requests_fail_fast_when_the_connection_closes() {
    let server = serve().await;
    let addr = server.local_addr().to_string();
    let c = RemotingClient::new();
    let conn = c.connection(&addr).await.unwrap();
    let held = {
        let conn = conn.clone();
        tokio::spawn(async move {
            conn.request(
                RemotingCommand::request(RequestCode::PullMessage, 0),
                Duration::from_secs(60),
            )
            .await
        })
    };
    // The server closes the connection (on another request); the held one fails at once.
    let _ = c
        .invoke(
            &addr,
            RemotingCommand::request(RequestCode::UnregisterClient, 0),
            T,
        )
        .await;
    let res = tokio::time::timeout(T, held)
        .await
        .expect("failed fast")
        .unwrap();
    assert!(matches!(res, Err(ClientError::Closed(_))), "{res:?}");
    tokio::time::timeout(T, conn.closed()).await.unwrap();
    assert!(conn.is_closed());
    assert!(
        conn.send(RemotingCommand::request(RequestCode::SendMessage, 0))
            .is_err()
    );

    // The client reconnects on the next call.
    let again = c
        .invoke(
            &addr,
            RemotingCommand::request(RequestCode::SendMessage, 0),
            T,
        )
        .await
        .unwrap();
    assert_eq!(again.code, 0);
}

#[tokio::test]
async fn server_can_ask_the_client_on_its_connection() {
    let server = serve().await;
    let addr = server.local_addr().to_string();
    let client_side = Router::new(Arc::new(State))
        .sync::<NoHeader, _>(RequestCode::GetConsumerRunningInfo, |_, _| {
            RemotingCommand::success().with_remark("running fine")
        });
    let c = RemotingClient::with_service(Arc::new(client_side));
    let resp = c
        .invoke(
            &addr,
            RemotingCommand::request(RequestCode::HeartBeat, 0),
            T,
        )
        .await
        .unwrap();
    assert_eq!(resp.code, 0, "{:?}", resp.remark);
    assert_eq!(resp.remark.as_deref(), Some("running fine"));
}

#[tokio::test]
async fn large_frames_up_to_the_limit() {
    let server = serve().await;
    let addr = server.local_addr().to_string();
    let c = RemotingClient::new();
    let big = vec![7u8; MAX_FRAME_LEN - 4096];
    let resp = c
        .invoke(
            &addr,
            RemotingCommand::request(RequestCode::SendMessage, 0).with_body(big.clone()),
            T,
        )
        .await
        .unwrap();
    assert_eq!(&resp.body[..], big.len().to_string().as_bytes());

    // Over the limit: refused locally, at once, and the connection stays usable.
    let too_big = vec![7u8; MAX_FRAME_LEN];
    let started = tokio::time::Instant::now();
    let res = c
        .invoke(
            &addr,
            RemotingCommand::request(RequestCode::SendMessage, 0).with_body(too_big),
            T,
        )
        .await;
    assert!(
        started.elapsed() < T,
        "an oversized request waited for its deadline"
    );
    match res {
        Ok(resp) => assert_eq!(resp.response_code(), Some(ResponseCode::SystemError)),
        Err(e) => assert!(e.to_string().contains("limit"), "{e}"),
    }
    let ok = c
        .invoke(
            &addr,
            RemotingCommand::request(RequestCode::SendMessage, 0),
            T,
        )
        .await
        .unwrap();
    assert_eq!(&ok.body[..], b"0");
}

#[tokio::test]
async fn connect_errors_and_stopped_servers() {
    let server = serve().await;
    let addr = server.local_addr().to_string();
    let c = RemotingClient::new();
    c.invoke(
        &addr,
        RemotingCommand::request(RequestCode::SendMessage, 0),
        T,
    )
    .await
    .unwrap();
    drop(server);
    // New connections are refused once the listener is gone.
    let end = tokio::time::Instant::now() + T;
    loop {
        match tokio::net::TcpStream::connect(&addr).await {
            Err(_) => break,
            Ok(_) => {
                assert!(
                    tokio::time::Instant::now() < end,
                    "listener still accepting"
                );
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
    let fresh = RemotingClient::new();
    let e = fresh
        .invoke(
            &addr,
            RemotingCommand::request(RequestCode::SendMessage, 0),
            T,
        )
        .await
        .unwrap_err();
    assert!(matches!(e, ClientError::Connect { .. }), "{e}");
}

/// A connect that hangs (a listener whose accept queue is full drops SYNs) must not hold up
/// calls to other addresses made through the same client.
#[tokio::test]
async fn a_hanging_connect_does_not_block_other_addresses() {
    let server = serve().await;
    let live = server.local_addr().to_string();

    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let full = socket.listen(0).unwrap();
    let full_addr = full.local_addr().unwrap();
    // Fill the accept queue (never accepted).
    let mut fillers = Vec::new();
    for _ in 0..4 {
        if let Ok(Ok(s)) = tokio::time::timeout(
            Duration::from_millis(200),
            tokio::net::TcpStream::connect(full_addr),
        )
        .await
        {
            fillers.push(s);
        }
    }

    let c = RemotingClient::new();
    let hanging = {
        let c = c.clone();
        tokio::spawn(async move { c.connection(&full_addr.to_string()).await })
    };
    // Let the spawned connect start (current-thread runtime: it runs when we yield).
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
    let started = tokio::time::Instant::now();
    c.invoke(
        &live,
        RemotingCommand::request(RequestCode::SendMessage, 0),
        T,
    )
    .await
    .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "call to a live address waited {:?} behind another address's connect",
        started.elapsed()
    );
    hanging.abort();
    drop(fillers);
}
