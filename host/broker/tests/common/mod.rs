//! Test harness: a real store in a temp dir, the broker on port 0, and frames built the way the
//! Java client builds them.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use wasmq_broker::{BrokerConfig, BrokerHandle};
use wasmq_protocol::header::broker::{PullMessageRequestHeader, SendMessageRequestHeaderV2};
use wasmq_protocol::message::{MessageRecord, RecordIter, encode_properties};
use wasmq_protocol::{RemotingCommand, RequestCode};
use wasmq_remoting::RemotingClient;
use wasmq_store::{CleanupEnv, ManualDiskUsage, MessageStore, StoreConfig, SystemClock};

pub const TIMEOUT: Duration = Duration::from_secs(10);

/// Opens a store whose clean-up disk probe reports a fixed, low usage: a nearly full disk on
/// the test machine must not turn every send into 14 (disk full).
pub fn open_store(config: StoreConfig) -> Arc<MessageStore> {
    let env = CleanupEnv {
        clock: Arc::new(SystemClock),
        disk: Arc::new(ManualDiskUsage::new(0.1)),
    };
    MessageStore::open_with(config, env).expect("open store")
}

/// A broker over a store rooted at `dir`.
pub struct TestBroker {
    pub handle: BrokerHandle,
    pub addr: String,
    pub client: RemotingClient,
}

pub fn config(dir: &Path) -> BrokerConfig {
    BrokerConfig {
        broker_name: "broker-a".into(),
        broker_ip1: "127.0.0.1".into(),
        listen_port: 0,
        namesrv_addr: None,
        store_path_root_dir: dir.to_owned(),
        ..BrokerConfig::default()
    }
}

pub fn store_config(dir: &Path) -> StoreConfig {
    StoreConfig {
        store_path_root_dir: dir.to_owned(),
        mapped_file_size_commit_log: 4 * 1024 * 1024,
        mapped_file_size_consume_queue: 20 * 1000,
        max_index_num: 4000,
        max_hash_slot_num: 1000,
        ..StoreConfig::default()
    }
}

impl TestBroker {
    pub async fn start(dir: &Path) -> Self {
        Self::start_with(config(dir), dir).await
    }

    pub async fn start_with(config: BrokerConfig, dir: &Path) -> Self {
        let store = open_store(store_config(dir));
        let handle = wasmq_broker::start(config, store)
            .await
            .expect("start broker");
        let addr = handle.local_addr().to_string();
        let addr = addr.replace("0.0.0.0", "127.0.0.1");
        Self {
            handle,
            addr,
            client: RemotingClient::new(),
        }
    }

    pub async fn call(&self, cmd: RemotingCommand) -> RemotingCommand {
        self.client
            .invoke(&self.addr, cmd, TIMEOUT)
            .await
            .expect("broker answers")
    }

    pub async fn stop(self) {
        self.client.close_all().await;
        self.handle.shutdown().await;
    }
}

/// A V2 send as the Java producer writes it.
pub fn send_v2(topic: &str, queue_id: i32, props: &[(&str, &str)], body: &str) -> RemotingCommand {
    let h = SendMessageRequestHeaderV2 {
        a: "PG".into(),
        b: topic.into(),
        c: Some("TBW102".into()),
        d: Some(4),
        e: queue_id,
        f: 0,
        g: 1_700_000_000_000,
        h: 0,
        i: Some(encode_properties(props.iter().copied())),
        j: Some(0),
        k: Some(false),
        l: None,
        m: Some(false),
    };
    RemotingCommand::request_with_header(RequestCode::SendMessageV2, 0, &h)
        .with_body(Bytes::from(body.to_owned()))
}

/// A pull; `subscription` set => sysFlag bit2 with that expression.
pub fn pull(
    group: &str,
    topic: &str,
    queue_id: i32,
    offset: i64,
    subscription: Option<&str>,
    suspend_ms: Option<i64>,
) -> RemotingCommand {
    let mut sys_flag = 0;
    if subscription.is_some() {
        sys_flag |= 0x4;
    }
    if suspend_ms.is_some() {
        sys_flag |= 0x2;
    }
    let h = PullMessageRequestHeader {
        consumer_group: group.into(),
        topic: topic.into(),
        queue_id,
        queue_offset: offset,
        max_msg_nums: 32,
        sys_flag,
        commit_offset: Some(0),
        suspend_timeout_millis: Some(suspend_ms.unwrap_or(0)),
        subscription: subscription.map(str::to_owned),
        sub_version: Some(0),
        expression_type: Some("TAG".into()),
    };
    RemotingCommand::request_with_header(RequestCode::PullMessage, 0, &h)
}

/// Heartbeat JSON for one consumer group subscribed to `topic` with `expr`.
pub fn heartbeat(client_id: &str, group: &str, topic: &str, expr: &str) -> RemotingCommand {
    let tags: Vec<&str> = if expr == "*" {
        vec![]
    } else {
        expr.split("||").map(str::trim).collect()
    };
    let codes: Vec<i32> = tags
        .iter()
        .map(|t| wasmq_protocol::message::java_string_hash(t))
        .collect();
    let body = serde_json::json!({
        "clientID": client_id,
        "producerDataSet": [{"groupName": "PG"}],
        "consumerDataSet": [{
            "groupName": group, "consumeType": "CONSUME_PASSIVELY", "messageModel": "CLUSTERING",
            "consumeFromWhere": "CONSUME_FROM_LAST_OFFSET", "unitMode": false,
            "subscriptionDataSet": [{"topic": topic, "subString": expr, "tagsSet": tags,
                "codeSet": codes, "expressionType": "TAG", "subVersion": 1, "classFilterMode": false}]
        }]
    });
    RemotingCommand::request(RequestCode::HeartBeat, 0).with_body(body.to_string())
}

/// The records of a pull response.
pub fn records(resp: &RemotingCommand) -> Vec<MessageRecord> {
    let mut all = resp.body.to_vec();
    for c in &resp.body_chunks {
        all.extend_from_slice(c);
    }
    RecordIter::new(Bytes::from(all), true)
        .collect::<Result<Vec<_>, _>>()
        .expect("well-formed records")
}

pub fn ext<'a>(resp: &'a RemotingCommand, key: &str) -> &'a str {
    resp.ext_fields
        .get(key)
        .unwrap_or_else(|| panic!("response lacks {key}: {resp:?}"))
}

pub fn peer_of(addr: &str) -> SocketAddr {
    addr.parse().expect("socket address")
}

pub fn arc<T>(t: T) -> Arc<T> {
    Arc::new(t)
}

/// Waits until `cond` holds, re-checking every 2 ms; panics naming `what` after 5 s.
///
/// This is a condition wait with a deadline, not a sleep: it returns as soon as `cond` is true.
/// Every test in this crate that waits for something asynchronous waits through here.
pub async fn eventually(what: &str, mut cond: impl AsyncFnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let mut tick = tokio::time::interval(Duration::from_millis(2));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while !cond().await {
        assert!(
            std::time::Instant::now() < deadline,
            "{what}: not within 5 s"
        );
        tick.tick().await;
    }
}

/// Waits until dispatch has made `n` entries of a queue visible.
pub async fn wait_dispatched(b: &TestBroker, topic: &str, queue_id: i32, n: i64) {
    let store = &b.handle.broker().store;
    eventually(
        &format!("{topic}@{queue_id} reaching {n} entries"),
        async || store.max_offset_in_queue(topic, queue_id) >= n,
    )
    .await;
}
