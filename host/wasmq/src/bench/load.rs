//! What the load generator sends: the workload description, send / batch requests, connections.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::bail;
use bytes::Bytes;
use wasmq_protocol::header::broker::SendMessageRequestHeaderV2;
use wasmq_protocol::message::batch::{BatchItem, encode_batch};
use wasmq_protocol::message::properties::encode_properties;
use wasmq_protocol::{RemotingCommand, RequestCode, ResponseCode};
use wasmq_remoting::{Connection, RemotingClient};

/// Request timeout.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// The topic brokers create new topics from (`TBW102`).
const AUTO_CREATE_TEMPLATE: &str = "TBW102";
/// The property carrying the send time (microseconds since the Unix epoch) for end-to-end latency.
pub const TIMESTAMP_PROPERTY: &str = "BENCH_TS_US";

/// How messages are sent.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// SEND_MESSAGE_V2, each in-flight slot waits for its answer.
    Sync,
    /// SEND_MESSAGE_V2 pipelined: `--inflight` requests outstanding per connection.
    Async,
    /// SEND_MESSAGE_V2 oneway: no answers; a final sync send closes the measurement.
    Oneway,
    /// SEND_BATCH_MESSAGE of `--batch` messages per request.
    Batch,
}

/// What to send.
#[derive(Debug, Clone)]
pub struct Load {
    /// Topic.
    pub topic: String,
    /// Queues used round-robin.
    pub queues: i32,
    /// Body size.
    pub size: usize,
    /// Send mode.
    pub mode: Mode,
    /// Messages per batch request (batch mode).
    pub batch: usize,
    /// Requests in flight per connection.
    pub inflight: usize,
    /// Connections.
    pub producers: usize,
    /// Messages in all (ignored when `duration` is set).
    pub count: u64,
    /// Send for this long instead of `count` messages.
    pub duration: Option<Duration>,
}

impl Load {
    /// Messages carried by one request.
    pub fn per_request(&self) -> u64 {
        match self.mode {
            Mode::Batch => self.batch.max(1) as u64,
            _ => 1,
        }
    }
}

/// Connects a fresh client (one TCP connection per call).
pub async fn connect(addr: SocketAddr) -> anyhow::Result<(RemotingClient, Connection)> {
    let client = RemotingClient::new();
    let conn = client.connection(&addr.to_string()).await?;
    Ok((client, conn))
}

fn properties(seq: u64) -> String {
    encode_properties([
        ("UNIQ_KEY", format!("BENCH{seq:027}").as_str()),
        ("TAGS", "bench"),
        ("WAIT", "true"),
        (TIMESTAMP_PROPERTY, now_us().to_string().as_str()),
    ])
}

fn header(load: &Load, seq: u64, props: Option<String>, batch: bool) -> SendMessageRequestHeaderV2 {
    SendMessageRequestHeaderV2 {
        a: "bench_producer".into(),
        b: load.topic.clone(),
        c: Some(AUTO_CREATE_TEMPLATE.into()),
        d: Some(load.queues),
        e: (seq % load.queues.max(1) as u64) as i32,
        f: 0,
        g: now_ms(),
        h: 0,
        i: props,
        j: Some(0),
        k: Some(false),
        l: None,
        m: Some(batch),
    }
}

/// The request carrying message(s) number `seq` (and following, for a batch).
pub fn send_request(load: &Load, seq: u64, body: &Bytes) -> anyhow::Result<RemotingCommand> {
    if load.mode == Mode::Batch {
        let items: Vec<BatchItem> = (0..load.batch.max(1) as u64)
            .map(|i| BatchItem {
                flag: 0,
                body: body.clone(),
                properties: properties(seq + i),
            })
            .collect();
        let h = header(load, seq, None, true);
        return Ok(
            RemotingCommand::request_with_header(RequestCode::SendBatchMessage, 0, &h)
                .with_body(encode_batch(&items)?),
        );
    }
    let h = header(load, seq, Some(properties(seq)), false);
    Ok(
        RemotingCommand::request_with_header(RequestCode::SendMessageV2, 0, &h)
            .with_body(body.clone()),
    )
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    (now_us() / 1000) as i64
}

/// Microseconds since the Unix epoch.
pub fn now_us() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

/// Fails unless the answer is SUCCESS.
pub fn check(resp: &RemotingCommand, what: &str) -> anyhow::Result<()> {
    if resp.response_code() != Some(ResponseCode::Success) {
        bail!(
            "{what} answered code {} ({})",
            resp.code,
            resp.remark.as_deref().unwrap_or("")
        );
    }
    Ok(())
}
