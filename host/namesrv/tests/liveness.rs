//! Brokers expire when their registering connection closes, or after 120 s without registering.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use wasmq_namesrv::{ManualClock, NamesrvConfig};
use wasmq_protocol::body::namesrv::DataVersion;
use wasmq_protocol::header::namesrv::QueryDataVersionRequestHeader;
use wasmq_protocol::{RemotingCommand, RequestCode};
use wasmq_remoting::RemotingClient;

const A: &str = "10.0.0.1:10911";

#[tokio::test]
async fn broker_dropped_when_its_connection_closes() {
    let ns = start().await;
    let a = ns.addr();
    let broker = RemotingClient::new();
    let reader = RemotingClient::new();
    call(&broker, &a, register_cmd("broker-a", A, 0, &[("T", 4)], 1)).await;
    // The master's slave registers on another connection and stays.
    let slave = RemotingClient::new();
    call(
        &slave,
        &a,
        register_cmd("broker-a", "10.0.0.2:10911", 1, &[("T", 4)], 1),
    )
    .await;
    assert!(route(&reader, &a, "T").await.is_ok());

    broker.close_all().await;
    // The master's address goes at once; the broker name (and so the route, served by the
    // slave) stays while the slave is registered, as in Java.
    wait_until(Duration::from_secs(5), || async {
        route(&reader, &a, "T")
            .await
            .is_ok_and(|r| !r.broker_datas[0].broker_addrs.contains_key(&0))
    })
    .await;
    let r = route(&reader, &a, "T").await.unwrap();
    assert_eq!(r.broker_datas[0].broker_addrs.len(), 1);
    assert!(r.broker_datas[0].broker_addrs.contains_key(&1));

    // The last address gone takes the broker name, its cluster entry and its topics.
    slave.close_all().await;
    wait_until(Duration::from_secs(5), || async {
        route(&reader, &a, "T").await.is_err()
    })
    .await;
    let info = call(
        &reader,
        &a,
        RemotingCommand::request(RequestCode::GetBrokerClusterInfo, 0),
    )
    .await;
    let info: wasmq_protocol::body::namesrv::ClusterInfo =
        serde_json::from_slice(&info.body).unwrap();
    assert!(info.broker_addr_table.is_empty());
    assert!(info.cluster_addr_table.is_empty());
}

#[tokio::test]
async fn broker_expires_after_120s_without_registration() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new();
    let config = NamesrvConfig {
        scan_not_active_broker_interval: 5,
        ..config_in(dir.path())
    };
    let c2 = clock.clone();
    let ns = start_with(config, move |s| s.with_clock(Arc::new(c2))).await;
    let a = ns.local_addr().to_string();
    let broker = RemotingClient::new();
    let reader = RemotingClient::new();
    call(&broker, &a, register_cmd("broker-a", A, 0, &[("T", 4)], 1)).await;

    // 119 s later, an unchanged QUERY_DATA_VERSION refreshes liveness.
    clock.advance(Duration::from_secs(119));
    let q = RemotingCommand::request_with_header(
        RequestCode::QueryDataVersion,
        0,
        &QueryDataVersionRequestHeader {
            broker_name: "broker-a".into(),
            broker_addr: A.into(),
            cluster_name: "DefaultCluster".into(),
            broker_id: 0,
        },
    )
    .with_body(
        serde_json::to_vec(&DataVersion {
            timestamp: 1_700_000_000_000,
            counter: 1,
        })
        .unwrap(),
    );
    call(&broker, &a, q).await;
    clock.advance(Duration::from_secs(119));
    // Deterministic: a scan now must keep it (238 s since registering, 119 s since the query).
    assert_eq!(ns.state().scan_not_active_brokers(), 0);
    assert!(route(&reader, &a, "T").await.is_ok());

    // Past 120 s since the last sign of life: the background scan drops it and closes its
    // connection.
    let conn = broker.connection(&a).await.unwrap();
    clock.advance(Duration::from_secs(2));
    wait_until(Duration::from_secs(5), || async {
        route(&reader, &a, "T").await.is_err()
    })
    .await;
    tokio::time::timeout(Duration::from_secs(5), conn.closed())
        .await
        .expect("broker connection closed on expiry");
}
