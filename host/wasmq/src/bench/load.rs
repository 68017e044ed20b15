//! The load generator: sync sends with N requests in flight on one connection, and pulls.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use bytes::Bytes;
use hdrhistogram::Histogram;
use wasmq_protocol::header::broker::{
    OffsetResponseHeader, PullMessageRequestHeader, PullMessageResponseHeader, QueueRequestHeader,
    SendMessageRequestHeaderV2,
};
use wasmq_protocol::message::properties::encode_properties;
use wasmq_protocol::{RemotingCommand, RequestCode, ResponseCode};
use wasmq_remoting::{Connection, RemotingClient};

const TIMEOUT: Duration = Duration::from_secs(10);
/// The topic brokers create new topics from (`TBW102`).
const AUTO_CREATE_TEMPLATE: &str = "TBW102";

/// What to send.
#[derive(Debug, Clone)]
pub struct Load {
    /// Topic.
    pub topic: String,
    /// Queues used round-robin.
    pub queues: i32,
    /// Body size.
    pub size: usize,
    /// Requests in flight.
    pub inflight: usize,
    /// Messages in all.
    pub count: u64,
}

/// One measurement.
#[derive(Debug)]
pub struct Measurement {
    /// Messages done.
    pub messages: u64,
    /// Wall time.
    pub elapsed: Duration,
    /// Request latencies, microseconds.
    pub latency_us: Histogram<u64>,
}

impl Measurement {
    /// Messages per second.
    pub fn rate(&self) -> f64 {
        self.messages as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

async fn connect(addr: SocketAddr) -> anyhow::Result<(RemotingClient, Connection)> {
    let client = RemotingClient::new();
    let conn = client.connection(&addr.to_string()).await?;
    Ok((client, conn))
}

fn send_request(load: &Load, seq: u64, body: &Bytes) -> RemotingCommand {
    let properties = encode_properties([
        ("UNIQ_KEY", format!("BENCH{seq:027}").as_str()),
        ("TAGS", "bench"),
        ("WAIT", "true"),
    ]);
    let header = SendMessageRequestHeaderV2 {
        a: "bench_producer".into(),
        b: load.topic.clone(),
        c: Some(AUTO_CREATE_TEMPLATE.into()),
        d: Some(load.queues),
        e: (seq % load.queues.max(1) as u64) as i32,
        f: 0,
        g: now_ms(),
        h: 0,
        i: Some(properties),
        j: Some(0),
        k: Some(false),
        l: None,
        m: Some(false),
    };
    RemotingCommand::request_with_header(RequestCode::SendMessageV2, 0, &header)
        .with_body(body.clone())
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Sync sends, `load.inflight` at a time, on one connection.
pub async fn run_produce(addr: SocketAddr, load: &Load) -> anyhow::Result<Measurement> {
    let (_client, conn) = connect(addr).await?;
    let body = Bytes::from(vec![b'x'; load.size]);
    // Warm up: creates the topic and the connection's buffers.
    let warm = conn.request(send_request(load, 0, &body), TIMEOUT).await?;
    check(&warm, "send")?;
    let per_task = load.count / load.inflight as u64;
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(load.inflight);
    let load = Arc::new(load.clone());
    for t in 0..load.inflight as u64 {
        let (conn, body, load) = (conn.clone(), body.clone(), Arc::clone(&load));
        tasks.push(tokio::spawn(async move {
            let mut h = Histogram::<u64>::new(3)?;
            for i in 0..per_task {
                let req = send_request(&load, t * per_task + i, &body);
                let sent = Instant::now();
                let resp = conn.request(req, TIMEOUT).await?;
                check(&resp, "send")?;
                h.record(sent.elapsed().as_micros() as u64)?;
            }
            anyhow::Ok(h)
        }));
    }
    let mut latency_us = Histogram::<u64>::new(3)?;
    for t in tasks {
        latency_us.add(t.await??)?;
    }
    Ok(Measurement {
        messages: per_task * load.inflight as u64,
        elapsed: start.elapsed(),
        latency_us,
    })
}

fn check(resp: &RemotingCommand, what: &str) -> anyhow::Result<()> {
    if resp.response_code() != Some(ResponseCode::Success) {
        bail!(
            "{what} answered code {} ({})",
            resp.code,
            resp.remark.as_deref().unwrap_or("")
        );
    }
    Ok(())
}

/// Each queue's max offset: where a following consume starts.
pub async fn max_offsets(addr: SocketAddr, load: &Load) -> anyhow::Result<Vec<i64>> {
    let (_client, conn) = connect(addr).await?;
    let mut v = Vec::new();
    for q in 0..load.queues {
        let h = QueueRequestHeader {
            topic: load.topic.clone(),
            queue_id: q,
        };
        let req = RemotingCommand::request_with_header(RequestCode::GetMaxOffset, 0, &h);
        let resp = conn.request(req, TIMEOUT).await?;
        v.push(match resp.response_code() {
            Some(ResponseCode::Success) => resp.decode_header::<OffsetResponseHeader>()?.offset,
            _ => 0,
        });
    }
    Ok(v)
}

/// Pulls every queue from `start` to its end, one pull in flight per queue.
pub async fn run_consume(
    addr: SocketAddr,
    load: &Load,
    start: &[i64],
    deadline: Duration,
) -> anyhow::Result<Measurement> {
    let (_client, conn) = connect(addr).await?;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (q, &from) in start.iter().enumerate() {
        let (conn, topic) = (conn.clone(), load.topic.clone());
        tasks.push(tokio::spawn(async move {
            let mut h = Histogram::<u64>::new(3)?;
            let mut offset = from;
            let mut messages = 0u64;
            loop {
                let header = PullMessageRequestHeader {
                    consumer_group: "bench_consumer".into(),
                    topic: topic.clone(),
                    queue_id: q as i32,
                    queue_offset: offset,
                    max_msg_nums: 32,
                    sys_flag: 4, // the subscription is in this header
                    commit_offset: Some(0),
                    suspend_timeout_millis: Some(0),
                    subscription: Some("*".into()),
                    sub_version: Some(0),
                    expression_type: Some("TAG".into()),
                };
                let req =
                    RemotingCommand::request_with_header(RequestCode::PullMessage, 0, &header);
                let sent = Instant::now();
                let resp = conn.request(req, TIMEOUT).await?;
                h.record(sent.elapsed().as_micros() as u64)?;
                let r: PullMessageResponseHeader = resp.decode_header()?;
                if resp.response_code() != Some(ResponseCode::Success) {
                    break;
                }
                messages += (r.next_begin_offset - offset).max(0) as u64;
                offset = r.next_begin_offset;
                if started.elapsed() > deadline {
                    bail!("consume did not finish within {deadline:?}");
                }
            }
            anyhow::Ok((messages, h))
        }));
    }
    let mut latency_us = Histogram::<u64>::new(3)?;
    let mut messages = 0;
    for t in tasks {
        let (m, h) = t.await.context("consumer task")??;
        messages += m;
        latency_us.add(h)?;
    }
    Ok(Measurement {
        messages,
        elapsed: started.elapsed(),
        latency_us,
    })
}
