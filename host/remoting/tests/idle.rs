//! Idle connections are closed after 120 s without a frame either way (tokio's paused clock).

use std::sync::Arc;
use std::time::Duration;

use wasmq_protocol::header::NoHeader;
use wasmq_protocol::{RemotingCommand, RequestCode};
use wasmq_remoting::connection::IDLE_TIMEOUT;
use wasmq_remoting::{RemotingClient, Router, Server};

struct State;

#[tokio::test(start_paused = true)]
async fn idle_connections_close_and_traffic_keeps_them_open() {
    let router = Router::new(Arc::new(State))
        .sync::<NoHeader, _>(RequestCode::HeartBeat, |_, _| RemotingCommand::success());
    let server = Server::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
        .start(Arc::new(router))
        .unwrap();
    let addr = server.local_addr().to_string();
    let c = RemotingClient::new();
    let heartbeat = || RemotingCommand::request(RequestCode::HeartBeat, 0);
    c.invoke(&addr, heartbeat(), Duration::from_secs(3))
        .await
        .unwrap();
    let conn = c.connection(&addr).await.unwrap();

    // A heartbeat every 100 s keeps it open well past 120 s.
    let start = tokio::time::Instant::now();
    for _ in 0..3 {
        tokio::time::advance(Duration::from_secs(100)).await;
        let resp = c
            .invoke(&addr, heartbeat(), Duration::from_secs(3))
            .await
            .unwrap();
        assert_eq!(resp.code, 0);
        assert!(!conn.is_closed(), "closed while in use");
    }
    let last_use = tokio::time::Instant::now();
    assert!(last_use - start >= Duration::from_secs(300));

    // Then silence: closed once 120 s pass (by either side; both watch).
    tokio::time::timeout(IDLE_TIMEOUT * 2, conn.closed())
        .await
        .expect("idle connection not closed");
    let quiet = last_use.elapsed();
    assert!(quiet >= IDLE_TIMEOUT, "closed after only {quiet:?}");
    assert!(
        quiet < IDLE_TIMEOUT + Duration::from_secs(5),
        "closed late: {quiet:?}"
    );

    // The client reconnects on the next call.
    let resp = c
        .invoke(&addr, heartbeat(), Duration::from_secs(3))
        .await
        .unwrap();
    assert_eq!(resp.code, 0);
}
