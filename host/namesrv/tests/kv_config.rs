//! KV config requests and persistence across restarts.

mod common;

use common::*;
use wasmq_protocol::body::namesrv::KvTable;
use wasmq_protocol::header::namesrv::{
    DeleteKvConfigRequestHeader, GetKvConfigRequestHeader, GetKvConfigResponseHeader,
    GetKvListByNamespaceRequestHeader, PutKvConfigRequestHeader,
};
use wasmq_protocol::{RequestCode, ResponseCode};
use wasmq_remoting::RemotingClient;

fn put(ns: &str, k: &str, v: &str) -> PutKvConfigRequestHeader {
    PutKvConfigRequestHeader {
        namespace: ns.into(),
        key: k.into(),
        value: v.into(),
    }
}

fn get(ns: &str, k: &str) -> GetKvConfigRequestHeader {
    GetKvConfigRequestHeader {
        namespace: ns.into(),
        key: k.into(),
    }
}

fn list(ns: &str) -> GetKvListByNamespaceRequestHeader {
    GetKvListByNamespaceRequestHeader {
        namespace: ns.into(),
    }
}

#[tokio::test]
async fn put_get_delete_list() {
    let ns = start().await;
    let a = ns.addr();
    let c = RemotingClient::new();
    let resp = call_header(&c, &a, RequestCode::PutKvConfig, &put("NS", "k1", "v1")).await;
    assert_eq!(resp.code, 0, "{:?}", resp.remark);
    call_header(&c, &a, RequestCode::PutKvConfig, &put("NS", "k2", "v2")).await;

    let resp = call_header(&c, &a, RequestCode::GetKvConfig, &get("NS", "k1")).await;
    assert_eq!(resp.code, 0);
    let h: GetKvConfigResponseHeader = resp.decode_header().unwrap();
    assert_eq!(h.value.as_deref(), Some("v1"));

    let resp = call_header(&c, &a, RequestCode::GetKvConfig, &get("NS", "missing")).await;
    assert_eq!(resp.response_code(), Some(ResponseCode::QueryNotFound));
    assert_eq!(
        resp.remark.as_deref(),
        Some("No config item, Namespace: NS Key: missing")
    );

    let resp = call_header(&c, &a, RequestCode::GetKvlistByNamespace, &list("NS")).await;
    let t: KvTable = serde_json::from_slice(&resp.body).unwrap();
    assert_eq!(t.table.len(), 2);
    assert_eq!(t.table["k2"], "v2");

    let del = |k: &str| DeleteKvConfigRequestHeader {
        namespace: "NS".into(),
        key: k.into(),
    };
    assert_eq!(
        call_header(&c, &a, RequestCode::DeleteKvConfig, &del("k1"))
            .await
            .code,
        0
    );
    let resp = call_header(&c, &a, RequestCode::GetKvConfig, &get("NS", "k1")).await;
    assert_eq!(resp.response_code(), Some(ResponseCode::QueryNotFound));
    call_header(&c, &a, RequestCode::DeleteKvConfig, &del("k2")).await;
    let resp = call_header(&c, &a, RequestCode::GetKvlistByNamespace, &list("NS")).await;
    assert_eq!(resp.response_code(), Some(ResponseCode::QueryNotFound));

    // A missing mandatory field is answered with its name.
    let mut bad = wasmq_protocol::RemotingCommand::request_with_header(
        RequestCode::PutKvConfig,
        0,
        &put("NS", "k", "v"),
    );
    bad.ext_fields.remove("value");
    let resp = call(&c, &a, bad).await;
    assert_eq!(resp.response_code(), Some(ResponseCode::SystemError));
    assert!(resp.remark.unwrap().contains("value"));
}

#[tokio::test]
async fn kv_survives_restart() {
    let dir = tempfile::tempdir().unwrap();
    let handle = wasmq_namesrv::start(config_in(dir.path()), localhost())
        .await
        .unwrap();
    let a = handle.local_addr().to_string();
    let c = RemotingClient::new();
    call_header(
        &c,
        &a,
        RequestCode::PutKvConfig,
        &put("ORDER_TOPIC_CONFIG", "T", "broker-a:4"),
    )
    .await;
    call_header(&c, &a, RequestCode::PutKvConfig, &put("X", "y", "z")).await;
    let conn = c.connection(&a).await.unwrap();
    handle.shutdown().await.unwrap();
    // Shutdown closes the connections it served.
    tokio::time::timeout(TIMEOUT, conn.closed())
        .await
        .expect("connection closed by shutdown");

    // Java's file layout.
    let text = std::fs::read_to_string(dir.path().join("kvConfig.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["configTable"]["X"]["y"], "z");

    let handle = wasmq_namesrv::start(config_in(dir.path()), localhost())
        .await
        .unwrap();
    let a = handle.local_addr().to_string();
    let resp = call_header(
        &c,
        &a,
        RequestCode::GetKvConfig,
        &get("ORDER_TOPIC_CONFIG", "T"),
    )
    .await;
    let h: GetKvConfigResponseHeader = resp.decode_header().unwrap();
    assert_eq!(h.value.as_deref(), Some("broker-a:4"));
}
