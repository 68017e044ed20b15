//! Drives wasmq with the third-party `rocketmq-client-rust` crate (mxsm) and reports as JSON lines.
//!
//! Same contract as the Node scripts in `tests/node/` so the e2e crate checks both alike:
//! ```text
//! WASMQ_NAMESRV=host:port wasmq-rust-client produce --topic T --count N [--tags A,B] [--prefix p] [--group G]
//!     [--mode sync|oneway|batch|ordered|transaction] [--batch-size 10] [--orders 4] [--check-wait-ms 30000]
//! WASMQ_NAMESRV=host:port wasmq-rust-client consume --group G --topic T [--sub '*'] [--count N]
//!     [--linger-ms 0] [--timeout-ms 60000] [--from first|last] [--orderly true|false]
//! ```
//! Message i carries property e2e_order = i % orders; `ordered` sends pick queue (order % queues).
//! `transaction`: i % 3 == 0 commits, 1 rolls back, 2 is UNKNOW until the broker's check commits it.
//! `produce` prints `{"event":"sent",...}` per acknowledged send (msgId = the client's UNIQ_KEY,
//! offsetMsgId = the broker's), `consume` prints `{"event":"msg",...}` per delivery and
//! `{"event":"closed"|"timeout","received":n}` at the end. Logs go to stderr.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rocketmq_client_rust::{
    ClientError, ClientResult, ClientRuntime, ClientRuntimeConfig, ConsumeConcurrentlyContext,
    ConsumeConcurrentlyStatus, ConsumeOrderlyContext, ConsumeOrderlyStatus, DefaultMQProducer,
    DefaultMQPushConsumer, LocalTransactionState, MQPushConsumer, MessageListenerConcurrently,
    MessageListenerOrderly, MessageQueueListener, TransactionListener, TransactionMQProducer,
};
use rocketmq_model::common::consumer::consume_from_where::ConsumeFromWhere;
use rocketmq_model::common::message::MessageTrait;
use rocketmq_model::common::message::message_ext::MessageExt;
use rocketmq_model::common::message::message_queue::MessageQueue;
use rocketmq_model::common::message::message_single::Message;
use rocketmq_runtime::{RuntimeConfig, RuntimeOwner};
use serde_json::{Value, json};
use tokio::sync::Notify;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn emit(v: Value) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{v}");
    let _ = out.flush();
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// `--key value` options over defaults.
struct Args(BTreeMap<String, String>);

impl Args {
    fn parse(argv: &[String], defaults: &[(&str, &str)]) -> Result<Args, BoxError> {
        let mut m: BTreeMap<String, String> = defaults
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let mut it = argv.iter();
        while let Some(a) = it.next() {
            let key = a
                .strip_prefix("--")
                .ok_or_else(|| format!("unexpected argument {a}"))?;
            if !m.contains_key(key) {
                return Err(format!("unknown option {a}").into());
            }
            let v = it
                .next()
                .ok_or_else(|| format!("option {a} needs a value"))?;
            m.insert(key.to_string(), v.clone());
        }
        Ok(Args(m))
    }

    fn str(&self, k: &str) -> &str {
        self.0.get(k).map(String::as_str).unwrap_or("")
    }

    fn num(&self, k: &str) -> Result<u64, BoxError> {
        self.str(k)
            .parse()
            .map_err(|e| format!("--{k} {:?}: {e}", self.str(k)).into())
    }
}

/// The runtime plumbing rocketmq-client-rust 1.0 requires (as in its examples/support).
struct Runtime {
    owner: RuntimeOwner,
    client: Arc<ClientRuntime>,
    telemetry: rocketmq_observability::TelemetryRuntimeGuard,
}

impl Runtime {
    fn new() -> ClientResult<Runtime> {
        let mut config = RuntimeConfig {
            thread_name: "wasmq-e2e-client".to_string(),
            ..Default::default()
        };
        // The push consumer runs each listener call on the metadata-io blocking lane, whose queue is
        // 8 x cores deep by default; on a 2-core machine a full pull batch overflows it and the
        // client counts the overflow as consume failures (sent back for retry). Give it room.
        config.blocking_lane_policies.metadata_io.max_queue_depth = 4096;
        let owner = RuntimeOwner::plan(config)
            .map_err(|e| ClientError::internal("plan client runtime", e))?
            .build()
            .map_err(|e| ClientError::internal("build client runtime", e))?;
        let telemetry = rocketmq_observability::install_global(
            &rocketmq_observability::TelemetryBootstrapConfig::default(),
        )
        .map_err(|e| ClientError::internal("telemetry", e))?;
        let client = ClientRuntime::try_new(
            owner.root_context().component("client"),
            ClientRuntimeConfig::default(),
            telemetry.handle(),
        )?;
        Ok(Runtime {
            owner,
            client,
            telemetry,
        })
    }

    async fn shutdown(self) {
        let _ = self.client.shutdown().await;
        let _ = self.owner.shutdown_tasks().await;
        let _ = self.owner.shutdown_background();
        let _ = self.telemetry.shutdown();
    }
}

async fn produce(namesrv: String, args: Args) -> Result<(), BoxError> {
    let topic = args.str("topic").to_string();
    if topic.is_empty() {
        return Err("--topic is required".into());
    }
    let count = args.num("count")?;
    let prefix = args.str("prefix").to_string();
    let tags: Vec<String> = args.str("tags").split(',').map(str::to_string).collect();
    if args.str("mode") == "transaction" {
        return produce_transactional(namesrv, args).await;
    }
    let rt = Runtime::new()?;
    let mut producer = DefaultMQProducer::builder(rt.client.clone())
        .producer_group(args.str("group").to_string())
        .name_server_addr(namesrv)
        .build();
    producer.start().await?;
    emit(json!({"event": "started"}));
    let mode = args.str("mode").to_string();
    let batch_size = args.num("batch-size")?.max(1);
    let orders = args.num("orders")?.max(1);
    let mut batch: Vec<(u64, Message, Value)> = Vec::new();
    for i in 0..count {
        let tag = &tags[(i as usize) % tags.len()];
        let key = format!("{prefix}-key-{i}");
        let body = format!("{prefix}-body-{i}");
        let order = (i % orders).to_string();
        let msg = Message::builder()
            .topic(topic.as_str())
            .tags(tag.as_str())
            .key(key.as_str())
            .body_slice(body.as_bytes())
            .raw_property("e2e_index", i.to_string())?
            .raw_property("e2e_prefix", prefix.as_str())?
            .raw_property("e2e_order", order.as_str())?
            .build()?;
        let base = json!({
            "event": "sent", "i": i, "topic": topic, "tag": tag, "key": key, "body": body,
            "props": {"e2e_index": i.to_string(), "e2e_prefix": prefix, "e2e_order": order},
            "sentAt": now_ms(),
        });
        match mode.as_str() {
            "sync" => {
                let r = producer
                    .send_with_timeout(msg, 3000)
                    .await
                    .map_err(|e| format!("send {i} failed: {e}"))?
                    .ok_or_else(|| format!("send {i}: no send result"))?;
                emit_sent(base, &r, 0);
            }
            "ordered" => {
                let pick = |mqs: &[MessageQueue], _m: &Message, order: &u64| {
                    mqs.get((*order as usize) % mqs.len().max(1)).cloned()
                };
                let r = producer
                    .send_with_selector_timeout(msg, pick, i % orders, 3000)
                    .await
                    .map_err(|e| format!("ordered send {i} failed: {e}"))?
                    .ok_or_else(|| format!("ordered send {i}: no send result"))?;
                emit_sent(base, &r, 0);
            }
            "oneway" => {
                producer
                    .send_oneway(msg)
                    .await
                    .map_err(|e| format!("oneway send {i} failed: {e}"))?;
                let mut v = base;
                v["status"] = json!("ONEWAY");
                emit(v);
            }
            "batch" => {
                batch.push((i, msg, base));
                if batch.len() as u64 == batch_size || i + 1 == count {
                    let items = std::mem::take(&mut batch);
                    let (bases, msgs): (Vec<Value>, Vec<Message>) =
                        items.into_iter().map(|(_, m, b)| (b, m)).unzip();
                    let r = producer
                        .send_batch_with_timeout(msgs, 3000)
                        .await
                        .map_err(|e| format!("batch send ending at {i} failed: {e}"))?;
                    for (k, b) in bases.into_iter().enumerate() {
                        emit_sent(b, &r, k);
                    }
                }
            }
            other => return Err(format!("unknown --mode {other}").into()),
        }
    }
    emit(json!({"event": "done", "count": count}));
    producer.shutdown().await;
    rt.shutdown().await;
    Ok(())
}

/// One `sent` event for item `k` of a send result (batches report comma-joined ids).
fn emit_sent(mut v: Value, r: &rocketmq_model::result::SendResult, k: usize) {
    let nth = |ids: Option<String>| ids.and_then(|s| s.split(',').nth(k).map(str::to_string));
    let (queue_id, broker) = r
        .message_queue
        .as_ref()
        .map(|q| (q.queue_id(), q.broker_name().to_string()))
        .unwrap_or((-1, String::new()));
    v["msgId"] = json!(nth(r.msg_id.as_ref().map(|m| m.to_string())));
    v["offsetMsgId"] = json!(nth(r.offset_msg_id.clone()));
    v["queueId"] = json!(queue_id);
    v["queueOffset"] = json!(r.queue_offset + k as u64);
    v["status"] = json!(r.send_status.to_string());
    v["brokerName"] = json!(broker);
    emit(v);
}

/// Reports this consumer's queue allocation for the subscribed topic (like ali-ons' `allocated`).
struct Allocation(String);

impl MessageQueueListener for Allocation {
    fn message_queue_changed(
        &self,
        topic: &str,
        _all: &std::collections::HashSet<MessageQueue>,
        mine: &std::collections::HashSet<MessageQueue>,
    ) {
        if topic == self.0 {
            let mut queues: Vec<i32> = mine.iter().map(|q| q.queue_id()).collect();
            queues.sort_unstable();
            emit(json!({"event": "allocated", "queues": queues}));
        }
    }
}

/// Message i of a transactional run: i % 3 == 0 commits at once, 1 rolls back at once, 2 answers
/// UNKNOW first and commits when the broker checks (CHECK_TRANSACTION_STATE).
struct TxListener {
    checked: Arc<AtomicUsize>,
}

fn tx_index(msg: &dyn MessageTrait) -> u64 {
    msg.property(&"e2e_index".into())
        .and_then(|v| v.parse().ok())
        .unwrap_or(u64::MAX)
}

impl TransactionListener for TxListener {
    fn execute_local_transaction(
        &self,
        msg: &dyn MessageTrait,
        _arg: Option<&(dyn std::any::Any + Send + Sync)>,
    ) -> LocalTransactionState {
        match tx_index(msg) % 3 {
            0 => LocalTransactionState::CommitMessage,
            1 => LocalTransactionState::RollbackMessage,
            _ => LocalTransactionState::Unknown,
        }
    }

    fn check_local_transaction(&self, msg: &MessageExt) -> LocalTransactionState {
        let i = tx_index(msg);
        emit(json!({"event": "checked", "i": i}));
        self.checked.fetch_add(1, Ordering::SeqCst);
        if i % 3 == 1 {
            LocalTransactionState::RollbackMessage
        } else {
            LocalTransactionState::CommitMessage
        }
    }
}

async fn produce_transactional(namesrv: String, args: Args) -> Result<(), BoxError> {
    let topic = args.str("topic").to_string();
    let count = args.num("count")?;
    let prefix = args.str("prefix").to_string();
    let checked = Arc::new(AtomicUsize::new(0));
    let rt = Runtime::new()?;
    let mut producer = TransactionMQProducer::builder(rt.client.clone())
        .producer_group(args.str("group").to_string())
        .name_server_addr(namesrv)
        .topics(vec![topic.clone()])
        .transaction_listener(TxListener {
            checked: checked.clone(),
        })
        .build();
    producer.start().await?;
    emit(json!({"event": "started"}));
    for i in 0..count {
        let (key, body) = (format!("{prefix}-key-{i}"), format!("{prefix}-body-{i}"));
        let msg = Message::builder()
            .topic(topic.as_str())
            .tags("TagA")
            .key(key.as_str())
            .body_slice(body.as_bytes())
            .raw_property("e2e_index", i.to_string())?
            .raw_property("e2e_prefix", prefix.as_str())?
            .build()?;
        let base = json!({
            "event": "sent", "i": i, "topic": topic, "tag": "TagA", "key": key, "body": body,
            "props": {"e2e_index": i.to_string(), "e2e_prefix": prefix}, "sentAt": now_ms(),
        });
        let r = producer
            .send_message_in_transaction::<(), _>(msg, None)
            .await
            .map_err(|e| format!("transactional send {i} failed: {e}"))?;
        let state = r.local_transaction_state.map(|s| format!("{s:?}"));
        let sr = r
            .send_result
            .ok_or_else(|| format!("transactional send {i}: no send result"))?;
        let mut v = base;
        v["txState"] = json!(state);
        emit_sent(v, &sr, 0);
    }
    // Stay up until the broker has checked every UNKNOW transaction (or the deadline passes).
    let unknown = (0..count).filter(|i| i % 3 == 2).count();
    let deadline = tokio::time::Instant::now() + Duration::from_millis(args.num("check-wait-ms")?);
    while checked.load(Ordering::SeqCst) < unknown && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await; // polling a condition with a deadline
    }
    emit(json!({"event": "done", "count": count, "checked": checked.load(Ordering::SeqCst)}));
    producer.shutdown().await;
    rt.shutdown().await;
    Ok(())
}

struct Listener {
    received: Arc<AtomicUsize>,
    target: usize,
    reached: Arc<Notify>,
}

fn msg_json(m: &MessageExt) -> Value {
    let props: BTreeMap<String, String> = m
        .properties()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let uniq = props.get("UNIQ_KEY").cloned();
    json!({
        "event": "msg", "msgId": uniq.clone().unwrap_or_else(|| m.msg_id().to_string()),
        "offsetMsgId": m.msg_id().to_string(), "topic": m.topic().to_string(),
        "tags": props.get("TAGS"), "keys": props.get("KEYS"),
        "body": m.body().map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default(),
        "properties": props, "queueId": m.queue_id(), "queueOffset": m.queue_offset(),
        "reconsumeTimes": m.reconsume_times(), "bornTimestamp": m.born_timestamp(),
        "storeTimestamp": m.store_timestamp(), "receivedAt": now_ms(), "retry": false,
    })
}

impl Listener {
    fn deliver(&self, msgs: &[&MessageExt]) {
        for m in msgs {
            emit(msg_json(m));
            let n = self.received.fetch_add(1, Ordering::SeqCst) + 1;
            if self.target > 0 && n == self.target {
                self.reached.notify_one();
            }
        }
    }
}

impl MessageListenerConcurrently for Listener {
    fn consume_message(
        &self,
        msgs: &[&MessageExt],
        _ctx: &ConsumeConcurrentlyContext,
    ) -> ClientResult<ConsumeConcurrentlyStatus> {
        self.deliver(msgs);
        Ok(ConsumeConcurrentlyStatus::ConsumeSuccess)
    }
}

impl MessageListenerOrderly for Listener {
    fn consume_message(
        &self,
        msgs: &[&MessageExt],
        ctx: &mut ConsumeOrderlyContext,
    ) -> ClientResult<ConsumeOrderlyStatus> {
        ctx.set_auto_commit(true);
        self.deliver(msgs);
        Ok(ConsumeOrderlyStatus::Success)
    }
}

async fn consume(namesrv: String, args: Args) -> Result<(), BoxError> {
    let (group, topic) = (args.str("group").to_string(), args.str("topic").to_string());
    if group.is_empty() || topic.is_empty() {
        return Err("--group and --topic are required".into());
    }
    let target = args.num("count")? as usize;
    let from = match args.str("from") {
        "last" => ConsumeFromWhere::ConsumeFromLastOffset,
        _ => ConsumeFromWhere::ConsumeFromFirstOffset,
    };
    let rt = Runtime::new()?;
    let mut consumer = DefaultMQPushConsumer::builder(rt.client.clone())
        .consumer_group(group)
        .name_server_addr(namesrv)
        .consume_from_where(from)
        .consume_message_batch_max_size(1)
        .message_queue_listener(Some(Arc::new(Allocation(topic.clone()))))
        .build();
    consumer.subscribe(topic.as_str(), args.str("sub")).await?;
    let received = Arc::new(AtomicUsize::new(0));
    let reached = Arc::new(Notify::new());
    let listener = Listener {
        received: received.clone(),
        target,
        reached: reached.clone(),
    };
    if args.str("orderly") == "true" {
        consumer.register_message_listener_orderly(listener);
    } else {
        consumer.register_message_listener_concurrently(listener);
    }
    consumer.start().await?;
    emit(json!({"event": "started"}));

    let timeout = Duration::from_millis(args.num("timeout-ms")?);
    let linger = Duration::from_millis(args.num("linger-ms")?);
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let event = tokio::select! {
        _ = reached.notified(), if target > 0 => {
            tokio::time::sleep(linger).await; // observation window for duplicates, not synchronisation
            "closed"
        }
        _ = term.recv() => "closed",
        _ = tokio::time::sleep(timeout) => "timeout",
    };
    consumer.shutdown().await;
    emit(json!({"event": event, "received": received.load(Ordering::SeqCst)}));
    rt.shutdown().await;
    if event == "timeout" {
        std::process::exit(3);
    }
    Ok(())
}

#[tokio::main]
async fn main() {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let result = async {
        let namesrv = std::env::var("WASMQ_NAMESRV").map_err(|_| "WASMQ_NAMESRV is not set")?;
        match argv.first().map(String::as_str) {
            Some("produce") => {
                let d = [
                    ("topic", ""),
                    ("count", "1"),
                    ("tags", "TagA"),
                    ("prefix", "m"),
                    ("group", "e2e_rs_producer"),
                    ("mode", "sync"),
                    ("batch-size", "10"),
                    ("orders", "4"),
                    ("check-wait-ms", "30000"),
                ];
                produce(namesrv, Args::parse(&argv[1..], &d)?).await
            }
            Some("consume") => {
                let d = [
                    ("group", ""),
                    ("topic", ""),
                    ("sub", "*"),
                    ("count", "0"),
                    ("linger-ms", "0"),
                    ("timeout-ms", "60000"),
                    ("from", "first"),
                    ("orderly", "false"),
                ];
                consume(namesrv, Args::parse(&argv[1..], &d)?).await
            }
            _ => Err::<(), BoxError>("usage: wasmq-rust-client produce|consume [--options]".into()),
        }
    }
    .await;
    if let Err(e) = result {
        emit(json!({"event": "error", "message": e.to_string()}));
        std::process::exit(1);
    }
}
