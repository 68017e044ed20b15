//! wasmq extensions and store clean-up on a real broker over real sockets: plugin admin requests
//! (9000, 9001) with a fake `PluginAdmin`, per-topic retention as a topic attribute,
//! DELETE_EXPIRED_COMMITLOG (329), the disk-full refusal and the runtime info figures.

mod common;

use std::path::Path;
use std::sync::Arc;

use common::*;
use parking_lot::Mutex;
use wasmq_broker::hooks::PluginAdmin;
use wasmq_protocol::header::NoHeader;
use wasmq_protocol::header::broker::{CreateTopicRequestHeader, PluginSetEnabledRequestHeader};
use wasmq_protocol::{RemotingCommand, RequestCode};
use wasmq_remoting::RemotingClient;
use wasmq_store::{CleanupEnv, ManualDiskUsage, MessageStore, SystemClock};

/// A plugin admin with two bindings whose switches the test can read back.
#[derive(Debug, Default)]
struct FakeAdmin {
    enabled: Mutex<Vec<(String, bool)>>,
}

impl FakeAdmin {
    fn new() -> Self {
        Self {
            enabled: Mutex::new(vec![
                ("a/ingress-filter".into(), true),
                ("b/router".into(), true),
            ]),
        }
    }
}

impl PluginAdmin for FakeAdmin {
    fn list_json(&self) -> String {
        let rows: Vec<serde_json::Value> = self
            .enabled
            .lock()
            .iter()
            .map(|(n, e)| serde_json::json!({"binding": n, "enabled": e, "calls": 7}))
            .collect();
        serde_json::json!({ "bindings": rows }).to_string()
    }

    fn set_enabled(&self, binding: &str, enabled: bool) -> bool {
        let mut all = self.enabled.lock();
        match all.iter_mut().find(|(n, _)| n == binding) {
            Some(b) => {
                b.1 = enabled;
                true
            }
            None => false,
        }
    }
}

/// A store whose disk probe reports `ratio` (the machine's own disk may be nearly full).
fn open_store_at(dir: &Path, ratio: f64) -> (Arc<MessageStore>, Arc<ManualDiskUsage>) {
    let disk = Arc::new(ManualDiskUsage::new(ratio));
    let env = CleanupEnv {
        clock: Arc::new(SystemClock),
        disk: disk.clone(),
    };
    (
        MessageStore::open_with(store_config(dir), env).unwrap(),
        disk,
    )
}

async fn start_over(store: Arc<MessageStore>, dir: &Path) -> TestBroker {
    let handle = wasmq_broker::start(config(dir), store)
        .await
        .expect("start broker");
    let addr = handle
        .local_addr()
        .to_string()
        .replace("0.0.0.0", "127.0.0.1");
    TestBroker {
        handle,
        addr,
        client: RemotingClient::new(),
    }
}

fn list_request() -> RemotingCommand {
    RemotingCommand::request_with_header(RequestCode::WasmqPluginList, 0, &NoHeader)
}

fn set_request(binding: &str, enabled: bool) -> RemotingCommand {
    RemotingCommand::request_with_header(
        RequestCode::WasmqPluginSetEnabled,
        0,
        &PluginSetEnabledRequestHeader {
            binding: binding.into(),
            enabled,
        },
    )
}

#[tokio::test]
async fn plugin_admin_requests_list_and_switch_bindings() {
    let dir = tempfile::tempdir().unwrap();
    let b = TestBroker::start(dir.path()).await;
    let none = b.call(list_request()).await;
    assert_eq!(none.code, 1, "no plugin admin installed");
    assert!(none.remark.unwrap_or_default().contains("plugin host"));

    let admin = Arc::new(FakeAdmin::new());
    b.handle.broker().set_plugin_admin(admin.clone());
    let list = b.call(list_request()).await;
    assert_eq!(list.code, 0);
    let v: serde_json::Value = serde_json::from_slice(&list.body).unwrap();
    assert_eq!(v["bindings"][1]["binding"], "b/router");
    assert_eq!(v["bindings"][1]["enabled"], true);

    assert_eq!(b.call(set_request("b/router", false)).await.code, 0);
    assert_eq!(admin.enabled.lock()[1], ("b/router".to_string(), false));
    let v: serde_json::Value = serde_json::from_slice(&b.call(list_request()).await.body).unwrap();
    assert_eq!(v["bindings"][1]["enabled"], false);

    let unknown = b.call(set_request("nope", true)).await;
    assert_eq!(unknown.code, 1);
    assert!(unknown.remark.unwrap_or_default().contains("nope"));
    b.stop().await;
}

fn create_topic(topic: &str, ms: Option<i64>, bytes: Option<i64>) -> RemotingCommand {
    RemotingCommand::request_with_header(
        RequestCode::UpdateAndCreateTopic,
        0,
        &CreateTopicRequestHeader {
            topic: topic.into(),
            read_queue_nums: 1,
            write_queue_nums: 1,
            perm: 6,
            retention_ms: ms,
            retention_bytes: bytes,
            ..Default::default()
        },
    )
}

#[tokio::test]
async fn topic_retention_is_persisted_applied_and_reapplied_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    let b = start_over(open_store_at(dir.path(), 0.1).0, dir.path()).await;
    assert_eq!(b.call(create_topic("Ret", None, None)).await.code, 0);
    for i in 0..4 {
        let r = b.call(send_v2("Ret", 0, &[], &format!("m{i}"))).await;
        assert_eq!(r.code, 0, "{:?}", r.remark);
    }
    wait_dispatched(&b, "Ret", 0, 4).await;
    let store = Arc::clone(&b.handle.broker().store);
    assert_eq!(store.min_offset_in_queue("Ret", 0), 0);
    // Room for one and a half records: only the newest stays reachable.
    let one = store.runtime_stats().put_message_size_total / 4;
    let keep = i64::try_from(one + one / 2).unwrap();
    assert_eq!(b.call(create_topic("Ret", None, Some(keep))).await.code, 0);
    assert_eq!(
        store.min_offset_in_queue("Ret", 0),
        3,
        "only the newest stays"
    );
    let json = std::fs::read_to_string(dir.path().join("config/topics.json")).unwrap();
    assert!(json.contains("wasmqTopicRetention"), "{json}");
    assert!(
        json.contains(&format!("\"retentionBytes\": {keep}")),
        "{json}"
    );
    // Absent fields leave the retention alone (mqadmin's updateTopic sends none).
    assert_eq!(b.call(create_topic("Ret", None, None)).await.code, 0);
    assert_eq!(
        b.handle.broker().topics.retention("Ret").retention_bytes,
        Some(keep as u64)
    );
    drop(store);
    b.stop().await;

    let again = start_over(open_store_at(dir.path(), 0.1).0, dir.path()).await;
    let store = &again.handle.broker().store;
    assert_eq!(
        store.min_offset_in_queue("Ret", 0),
        3,
        "the broker gives the store the retention again at start"
    );
    // 0 clears it (min offsets never move back, but nothing is cut any more).
    assert_eq!(
        again.call(create_topic("Ret", Some(0), Some(0))).await.code,
        0
    );
    assert!(again.handle.broker().topics.retention("Ret").is_unlimited());
    assert_eq!(again.call(send_v2("Ret", 0, &[], "m4")).await.code, 0);
    wait_dispatched(&again, "Ret", 0, 5).await;
    assert_eq!(store.min_offset_in_queue("Ret", 0), 3);
    again.stop().await;
}

#[tokio::test]
async fn delete_expired_commit_log_answers_success() {
    let dir = tempfile::tempdir().unwrap();
    let b = TestBroker::start(dir.path()).await;
    let r = b
        .call(RemotingCommand::request_with_header(
            RequestCode::DeleteExpiredCommitlog,
            0,
            &NoHeader,
        ))
        .await;
    assert_eq!(r.code, 0, "{:?}", r.remark);
    b.stop().await;
}

#[tokio::test]
async fn a_full_disk_refuses_sends_with_14_while_pulls_work() {
    let dir = tempfile::tempdir().unwrap();
    let (store, disk) = open_store_at(dir.path(), 0.1);
    let b = start_over(Arc::clone(&store), dir.path()).await;
    assert_eq!(b.call(send_v2("Full", 0, &[], "before")).await.code, 0);
    wait_dispatched(&b, "Full", 0, 1).await;

    disk.set(Some(0.99));
    assert!(store.clean_now().disk_full);
    let refused = b.call(send_v2("Full", 0, &[], "after")).await;
    assert_eq!(refused.code, 14);
    assert_eq!(
        refused.remark.as_deref(),
        Some(wasmq_broker::error::SERVICE_NOT_AVAILABLE_REMARK)
    );
    assert!(
        refused
            .remark
            .unwrap_or_default()
            .starts_with("service not available now. It may be caused by one of the following reasons: the broker's disk is full")
    );
    let pulled = b.call(pull("CG", "Full", 0, 0, Some("*"), None)).await;
    assert_eq!(pulled.code, 0, "{:?}", pulled.remark);
    assert_eq!(records(&pulled).len(), 1);

    let info = b
        .call(RemotingCommand::request_with_header(
            RequestCode::GetBrokerRuntimeInfo,
            0,
            &NoHeader,
        ))
        .await;
    let t: serde_json::Value = serde_json::from_slice(&info.body).unwrap();
    assert_eq!(t["table"]["commitLogDiskRatio"], "0.99");
    assert_eq!(t["table"]["diskFull"], "true");
    assert_eq!(t["table"]["commitLogFileCount"], "1");
    let oldest: i64 = t["table"]["earliestMessageTimeStamp"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(oldest > 1_600_000_000_000, "{oldest}");
    // The one pull above handed out one message; rates come as Java's "10s 60s 600s".
    assert_eq!(t["table"]["msgGetTotalTodayNow"], "1");
    assert_eq!(t["table"]["brokerRole"], "ASYNC_MASTER", "Java's spelling");
    for key in ["putTps", "getTransferedTps"] {
        let rates: Vec<f64> = t["table"][key]
            .as_str()
            .unwrap()
            .split(' ')
            .map(|r| r.parse().unwrap())
            .collect();
        assert_eq!(rates.len(), 3, "{key}: {rates:?}");
    }

    disk.set(Some(0.50));
    assert!(!store.clean_now().disk_full);
    assert_eq!(b.call(send_v2("Full", 0, &[], "again")).await.code, 0);
    b.stop().await;
}
