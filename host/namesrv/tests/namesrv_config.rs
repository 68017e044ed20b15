//! GET_NAMESRV_CONFIG / UPDATE_NAMESRV_CONFIG.

mod common;

use common::*;
use wasmq_protocol::header::namesrv::PutKvConfigRequestHeader;
use wasmq_protocol::{RemotingCommand, RequestCode, ResponseCode};
use wasmq_remoting::RemotingClient;

#[tokio::test]
async fn get_and_update_config_at_run_time() {
    let ns = start().await;
    let a = ns.addr();
    let c = RemotingClient::new();
    let resp = call(
        &c,
        &a,
        RemotingCommand::request(RequestCode::GetNamesrvConfig, 0),
    )
    .await;
    let text = String::from_utf8(resp.body.to_vec()).unwrap();
    assert!(text.contains("orderMessageEnable=false\n"), "{text}");
    assert!(text.contains("listenPort=9876\n"), "{text}");

    // Order-topic config shows in routes only once enabled.
    call(
        &c,
        &a,
        register_cmd("broker-a", "10.0.0.1:10911", 0, &[("T", 4)], 1),
    )
    .await;
    call_header(
        &c,
        &a,
        RequestCode::PutKvConfig,
        &PutKvConfigRequestHeader {
            namespace: "ORDER_TOPIC_CONFIG".into(),
            key: "T".into(),
            value: "broker-a:4".into(),
        },
    )
    .await;
    assert_eq!(route(&c, &a, "T").await.unwrap().order_topic_conf, None);
    let update = |body: &'static str| {
        RemotingCommand::request(RequestCode::UpdateNamesrvConfig, 0).with_body(body.as_bytes())
    };
    let resp = call(&c, &a, update("orderMessageEnable=true\n")).await;
    assert_eq!(resp.code, 0, "{:?}", resp.remark);
    assert_eq!(
        route(&c, &a, "T")
            .await
            .unwrap()
            .order_topic_conf
            .as_deref(),
        Some("broker-a:4")
    );

    let resp = call(&c, &a, update("kvConfigPath=/tmp/elsewhere\n")).await;
    assert_eq!(resp.response_code(), Some(ResponseCode::NoPermission));
    let resp = call(&c, &a, update("orderMessageEnable=maybe\n")).await;
    assert_eq!(resp.response_code(), Some(ResponseCode::SystemError));
    assert!(resp.remark.unwrap().contains("orderMessageEnable"));
}
