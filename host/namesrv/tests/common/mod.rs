//! Shared helpers: a nameserver on an ephemeral port with its KV file in a temp dir, and
//! requests as brokers and clients send them.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use wasmq_namesrv::{NamesrvConfig, NamesrvHandle, NamesrvState};
use wasmq_protocol::body::namesrv::TopicRouteData;
use wasmq_protocol::header::CommandHeader;
use wasmq_protocol::header::namesrv::{GetRouteInfoRequestHeader, RegisterBrokerRequestHeader};
use wasmq_protocol::{RemotingCommand, RequestCode};
use wasmq_remoting::RemotingClient;

pub const TIMEOUT: Duration = Duration::from_secs(5);

/// A running nameserver, its temp dir, and a client that talks to it.
pub struct TestNamesrv {
    pub handle: NamesrvHandle,
    pub dir: tempfile::TempDir,
    pub client: RemotingClient,
}

impl TestNamesrv {
    pub fn addr(&self) -> String {
        self.handle.local_addr().to_string()
    }

    /// Sends `cmd` and returns the answer (panics on a transport error).
    pub async fn call(&self, cmd: RemotingCommand) -> RemotingCommand {
        call(&self.client, &self.addr(), cmd).await
    }

    /// Sends a request made of `code` and the typed header `h`.
    pub async fn call_header<H: CommandHeader>(&self, code: RequestCode, h: &H) -> RemotingCommand {
        call_header(&self.client, &self.addr(), code, h).await
    }

    /// The route of `topic`: `Ok(route)` or `Err(response)` when the code is not 0.
    pub async fn route(&self, topic: &str) -> Result<TopicRouteData, RemotingCommand> {
        route(&self.client, &self.addr(), topic).await
    }
}

pub fn config_in(dir: &std::path::Path) -> NamesrvConfig {
    NamesrvConfig {
        kv_config_path: dir.join("kvConfig.json").to_string_lossy().into_owned(),
        ..NamesrvConfig::default()
    }
}

pub fn localhost() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

pub async fn start() -> TestNamesrv {
    let dir = tempfile::tempdir().unwrap();
    let handle = wasmq_namesrv::start(config_in(dir.path()), localhost())
        .await
        .unwrap();
    TestNamesrv {
        handle,
        dir,
        client: RemotingClient::new(),
    }
}

pub async fn start_with(
    config: NamesrvConfig,
    f: impl FnOnce(NamesrvState) -> NamesrvState,
) -> NamesrvHandle {
    let state = f(NamesrvState::new(config).unwrap());
    wasmq_namesrv::serve(Arc::new(state), localhost())
        .await
        .unwrap()
}

/// A Java 4.9.x broker's register body for `topics` (name, queues) at version `counter`.
pub fn java_register_body(topics: &[(&str, i32)], counter: i64) -> Vec<u8> {
    let table: Vec<String> = topics
        .iter()
        .map(|(t, q)| {
            format!(
                r#""{t}":{{"order":false,"perm":6,"readQueueNums":{q},"topicFilterType":"SINGLE_TAG","topicName":"{t}","topicSysFlag":0,"writeQueueNums":{q}}}"#
            )
        })
        .collect();
    format!(
        r#"{{"filterServerList":[],"topicConfigSerializeWrapper":{{"dataVersion":{{"counter":{counter},"timestamp":1700000000000}},"topicConfigTable":{{{}}}}}}}"#,
        table.join(",")
    )
    .into_bytes()
}

pub fn register_header(name: &str, addr: &str, id: i64) -> RegisterBrokerRequestHeader {
    RegisterBrokerRequestHeader {
        broker_name: name.into(),
        broker_addr: addr.into(),
        cluster_name: "DefaultCluster".into(),
        ha_server_addr: addr.replace(":10911", ":10912"),
        broker_id: id,
        compressed: Some(false),
        body_crc32: None,
    }
}

pub fn register_cmd(
    name: &str,
    addr: &str,
    id: i64,
    topics: &[(&str, i32)],
    counter: i64,
) -> RemotingCommand {
    let body = java_register_body(topics, counter);
    let mut h = register_header(name, addr, id);
    h.body_crc32 = Some((crc32fast::hash(&body) & 0x7FFF_FFFF) as i32);
    RemotingCommand::request_with_header(RequestCode::RegisterBroker, 0, &h).with_body(body)
}

pub async fn call(client: &RemotingClient, addr: &str, cmd: RemotingCommand) -> RemotingCommand {
    client.invoke(addr, cmd, TIMEOUT).await.unwrap()
}

pub async fn call_header<H: CommandHeader>(
    client: &RemotingClient,
    addr: &str,
    code: RequestCode,
    h: &H,
) -> RemotingCommand {
    call(
        client,
        addr,
        RemotingCommand::request_with_header(code, 0, h),
    )
    .await
}

/// The route of `topic`: `Ok(route)` or `Err(response)` when the code is not 0.
pub async fn route(
    client: &RemotingClient,
    addr: &str,
    topic: &str,
) -> Result<TopicRouteData, RemotingCommand> {
    let resp = call_header(
        client,
        addr,
        RequestCode::GetRouteinfoByTopic,
        &GetRouteInfoRequestHeader {
            topic: topic.into(),
            accept_standard_json_only: None,
        },
    )
    .await;
    if resp.code == 0 {
        Ok(serde_json::from_slice(&resp.body).unwrap())
    } else {
        Err(resp)
    }
}

/// Waits until `cond` holds, polling, at most `deadline`.
pub async fn wait_until<F, Fut>(deadline: Duration, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let end = tokio::time::Instant::now() + deadline;
    loop {
        if cond().await {
            return;
        }
        assert!(
            tokio::time::Instant::now() < end,
            "condition not met within {deadline:?}"
        );
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
