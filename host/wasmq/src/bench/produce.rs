//! Producing: `producers` connections, `inflight` requests outstanding on each, in one of the
//! send modes (sync / async pipelined / oneway / batch), for a count or a duration.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use bytes::Bytes;
use hdrhistogram::Histogram;

use super::load::{Load, Mode, TIMEOUT, check, connect, send_request};
use super::progress::Progress;

/// In oneway mode every this many messages per slot is sent as a sync request: back-pressure, so
/// the client cannot queue unboundedly ahead of the server.
const ONEWAY_BARRIER: u64 = 256;

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

/// Sends `load` to `addr`; counts acknowledged messages in `progress.sent`.
pub async fn run_produce(
    addr: SocketAddr,
    load: &Load,
    progress: &Arc<Progress>,
) -> anyhow::Result<Measurement> {
    let body = Bytes::from(vec![b'x'; load.size]);
    let per_request = load.per_request();
    let slots = (load.producers.max(1) * load.inflight.max(1)) as u64;
    let requests = load.count.div_ceil(per_request);
    let quota = requests.div_ceil(slots);
    let seq = Arc::new(AtomicU64::new(0));
    let load = Arc::new(load.clone());
    let mut conns = Vec::new();
    for _ in 0..load.producers.max(1) {
        let (client, conn) = connect(addr).await?;
        // Warm up: creates the topic and the connection's buffers.
        let warm = conn
            .request(send_request(&load, 0, &body)?, TIMEOUT)
            .await?;
        check(&warm, "send").context("warm-up send")?;
        conns.push((client, conn));
    }
    let start = Instant::now();
    let deadline = load.duration.map(|d| start + d);
    let mut tasks = Vec::new();
    for (_client, conn) in &conns {
        for _ in 0..load.inflight.max(1) {
            let (conn, body, load, seq, progress) = (
                conn.clone(),
                body.clone(),
                Arc::clone(&load),
                Arc::clone(&seq),
                Arc::clone(progress),
            );
            tasks.push(tokio::spawn(async move {
                let mut h = Histogram::<u64>::new(3)?;
                let mut done = 0u64;
                let mut n = 0u64;
                loop {
                    let finished = match deadline {
                        Some(d) => Instant::now() >= d,
                        None => n >= quota,
                    };
                    if finished {
                        break;
                    }
                    n += 1;
                    let req =
                        send_request(&load, seq.fetch_add(per_request, Ordering::Relaxed), &body)?;
                    if load.mode == Mode::Oneway && !n.is_multiple_of(ONEWAY_BARRIER) {
                        conn.oneway(req)?;
                    } else {
                        let sent = Instant::now();
                        let resp = conn.request(req, TIMEOUT).await?;
                        check(&resp, "send")?;
                        h.record(sent.elapsed().as_micros() as u64)?;
                    }
                    done += per_request;
                    progress.sent.fetch_add(per_request, Ordering::Relaxed);
                }
                if load.mode == Mode::Oneway {
                    // Everything sent before this answer on the connection has been read.
                    let resp = conn
                        .request(send_request(&load, 0, &body)?, TIMEOUT)
                        .await?;
                    check(&resp, "send")?;
                }
                anyhow::Ok((done, h))
            }));
        }
    }
    let mut latency_us = Histogram::<u64>::new(3)?;
    let mut messages = 0;
    for t in tasks {
        let (m, h) = t.await.context("producer task")??;
        messages += m;
        latency_us.add(h)?;
    }
    Ok(Measurement {
        messages,
        elapsed: start.elapsed(),
        latency_us,
    })
}

/// Sends one message synchronously: creates the topic (through TBW102) before anything pulls it.
pub async fn ensure_topic(addr: SocketAddr, load: &Load) -> anyhow::Result<()> {
    let (_client, conn) = connect(addr).await?;
    let body = Bytes::from(vec![b'x'; load.size]);
    let resp = conn.request(send_request(load, 0, &body)?, TIMEOUT).await?;
    check(&resp, "send").with_context(|| format!("creating topic {}", load.topic))
}
