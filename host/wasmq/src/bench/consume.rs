//! Consuming: one pull in flight per queue, until a target number of messages has arrived;
//! optionally long polling and decoding each record's send timestamp for end-to-end latency.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::bail;
use hdrhistogram::Histogram;
use tokio::sync::Notify;
use wasmq_protocol::header::broker::{
    OffsetResponseHeader, PullMessageRequestHeader, PullMessageResponseHeader, QueueRequestHeader,
};
use wasmq_protocol::message::properties::property;
use wasmq_protocol::message::record::RecordView;
use wasmq_protocol::{RemotingCommand, RequestCode, ResponseCode};

use super::load::{TIMEOUT, TIMESTAMP_PROPERTY, connect, now_us};
use super::produce::Measurement;
use super::progress::Progress;

/// PullSysFlag: FLAG_SUSPEND (long polling) | FLAG_SUBSCRIPTION (expression in this header).
const SYS_FLAG_SUSPEND: i32 = 2;
const SYS_FLAG_SUBSCRIPTION: i32 = 4;

/// What to pull.
#[derive(Debug, Clone)]
pub struct Pulling {
    /// Consumer group.
    pub group: String,
    /// Topic.
    pub topic: String,
    /// Start offset of each queue (index = queue id).
    pub start: Vec<i64>,
    /// Long-polling suspend time; 0 = plain pulls that end a queue when it has nothing more.
    pub suspend_ms: i64,
    /// Messages per pull.
    pub batch: i32,
}

/// What the consumer measured.
#[derive(Debug)]
pub struct Consumed {
    /// Messages and pull latencies.
    pub pulls: Measurement,
    /// Send-to-receive latency from the timestamp property, microseconds (empty unless asked).
    pub e2e_us: Histogram<u64>,
}

/// Counts and the stop condition shared by the pulling tasks.
#[derive(Debug)]
pub struct Shared {
    consumed: AtomicU64,
    /// Stop once this many messages arrived (`u64::MAX` until the producer knows).
    pub target: AtomicU64,
    changed: Notify,
    stop: AtomicBool,
    live: AtomicU64,
    error: Mutex<Option<String>>,
    pull_us: Mutex<Histogram<u64>>,
    e2e_us: Mutex<Histogram<u64>>,
}

impl Shared {
    /// A fresh state with the given target.
    pub fn new(target: u64) -> anyhow::Result<Arc<Shared>> {
        Ok(Arc::new(Shared {
            consumed: AtomicU64::new(0),
            target: AtomicU64::new(target),
            changed: Notify::new(),
            stop: AtomicBool::new(false),
            live: AtomicU64::new(0),
            error: Mutex::new(None),
            pull_us: Mutex::new(Histogram::new(3)?),
            e2e_us: Mutex::new(Histogram::new(3)?),
        }))
    }

    /// Sets the target and wakes the waiter.
    pub fn set_target(&self, target: u64) {
        self.target.store(target, Ordering::SeqCst);
        self.changed.notify_one();
    }
}

/// Each queue's max offset: where a following consume starts (0 for a queue not created yet).
pub async fn max_offsets(addr: SocketAddr, topic: &str, queues: i32) -> anyhow::Result<Vec<i64>> {
    let (_client, conn) = connect(addr).await?;
    let mut v = Vec::new();
    for q in 0..queues {
        let h = QueueRequestHeader {
            topic: topic.to_owned(),
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

/// Pulls until `shared.target` messages arrived (or every queue ran dry with `suspend_ms` 0).
pub async fn run_consume(
    addr: SocketAddr,
    p: &Pulling,
    shared: &Arc<Shared>,
    progress: &Arc<Progress>,
    e2e: bool,
    deadline: Duration,
) -> anyhow::Result<Consumed> {
    let (_client, conn) = connect(addr).await?;
    let started = Instant::now();
    let mut tasks = Vec::new();
    shared.live.store(p.start.len() as u64, Ordering::SeqCst);
    for (q, &from) in p.start.iter().enumerate() {
        let (conn, p, shared, progress) = (
            conn.clone(),
            p.clone(),
            Arc::clone(shared),
            Arc::clone(progress),
        );
        tasks.push(tokio::spawn(async move {
            let r = pull_queue(&conn, &p, q as i32, from, &shared, &progress, e2e).await;
            if let Err(e) = r
                && let Ok(mut slot) = shared.error.lock()
            {
                *slot = Some(format!("{e:#}"));
            }
            shared.live.fetch_sub(1, Ordering::SeqCst);
            shared.changed.notify_one();
        }));
    }
    let wait = async {
        loop {
            let done =
                shared.consumed.load(Ordering::SeqCst) >= shared.target.load(Ordering::SeqCst);
            let failed = shared.error.lock().map(|e| e.is_some()).unwrap_or(true);
            if done || failed || shared.live.load(Ordering::SeqCst) == 0 {
                break;
            }
            shared.changed.notified().await;
        }
    };
    let timed_out = tokio::time::timeout(deadline, wait).await.is_err();
    let elapsed = started.elapsed();
    shared.stop.store(true, Ordering::SeqCst);
    for t in &tasks {
        t.abort();
    }
    if let Some(e) = shared.error.lock().ok().and_then(|e| e.clone()) {
        bail!("pulling from {addr}: {e}");
    }
    let messages = shared.consumed.load(Ordering::SeqCst);
    if timed_out {
        bail!("consume got {messages} messages, not all, within {deadline:?}");
    }
    let poisoned = |_| anyhow::anyhow!("a pulling task panicked");
    let latency_us = shared.pull_us.lock().map_err(poisoned)?.clone();
    let e2e_us = shared.e2e_us.lock().map_err(poisoned)?.clone();
    Ok(Consumed {
        pulls: Measurement {
            messages,
            elapsed,
            latency_us,
        },
        e2e_us,
    })
}

async fn pull_queue(
    conn: &wasmq_remoting::Connection,
    p: &Pulling,
    queue_id: i32,
    mut offset: i64,
    shared: &Shared,
    progress: &Progress,
    e2e: bool,
) -> anyhow::Result<()> {
    let mut sys_flag = SYS_FLAG_SUBSCRIPTION;
    if p.suspend_ms > 0 {
        sys_flag |= SYS_FLAG_SUSPEND;
    }
    while !shared.stop.load(Ordering::Relaxed) {
        let header = PullMessageRequestHeader {
            consumer_group: p.group.clone(),
            topic: p.topic.clone(),
            queue_id,
            queue_offset: offset,
            max_msg_nums: p.batch,
            sys_flag,
            commit_offset: Some(0),
            suspend_timeout_millis: Some(p.suspend_ms),
            subscription: Some("*".into()),
            sub_version: Some(0),
            expression_type: Some("TAG".into()),
        };
        let req = RemotingCommand::request_with_header(RequestCode::PullMessage, 0, &header);
        let sent = Instant::now();
        let resp = conn
            .request(req, TIMEOUT + Duration::from_millis(p.suspend_ms as u64))
            .await?;
        let took = sent.elapsed().as_micros() as u64;
        // The header is there only on the codes a client reads it for (as Java's
        // processPullResponse): anything else is an error named by its code and remark.
        let code = resp.response_code();
        if !matches!(
            code,
            Some(
                ResponseCode::Success
                    | ResponseCode::PullNotFound
                    | ResponseCode::PullRetryImmediately
            )
        ) {
            bail!(
                "pull answered code {} ({})",
                resp.code,
                resp.remark.as_deref().unwrap_or("")
            );
        }
        let r: PullMessageResponseHeader = resp.decode_header()?;
        match code {
            Some(ResponseCode::PullNotFound) if p.suspend_ms == 0 => return Ok(()),
            Some(ResponseCode::PullNotFound | ResponseCode::PullRetryImmediately) => {
                offset = offset.max(r.next_begin_offset);
                continue;
            }
            _ => {}
        }
        if let Ok(mut h) = shared.pull_us.lock() {
            h.record(took)?;
        }
        let got = (r.next_begin_offset - offset).max(0) as u64;
        offset = r.next_begin_offset;
        if e2e {
            record_e2e(&resp, shared)?;
        }
        progress.consumed.fetch_add(got, Ordering::Relaxed);
        let total = shared.consumed.fetch_add(got, Ordering::SeqCst) + got;
        if total >= shared.target.load(Ordering::SeqCst) {
            shared.changed.notify_one();
        }
    }
    Ok(())
}

/// Records now minus each pulled record's send timestamp.
fn record_e2e(resp: &RemotingCommand, shared: &Shared) -> anyhow::Result<()> {
    let now = now_us();
    let mut lat = Vec::new();
    // A decoded response has one contiguous body; join extra chunks if a decoder left some.
    let joined: Vec<u8>;
    let whole: &[u8] = if resp.body_chunks.is_empty() {
        &resp.body
    } else {
        joined = std::iter::once(&resp.body)
            .chain(resp.body_chunks.iter())
            .flat_map(|c| c.iter().copied())
            .collect();
        &joined
    };
    let mut pos = 0;
    while pos < whole.len() {
        let (rec, n) = RecordView::decode(&whole[pos..], false)?;
        pos += n;
        if let Some(ts) =
            property(rec.properties, TIMESTAMP_PROPERTY).and_then(|v| v.parse::<u64>().ok())
        {
            lat.push(now.saturating_sub(ts));
        }
    }
    if let Ok(mut h) = shared.e2e_us.lock() {
        for l in lat {
            h.record(l)?;
        }
    }
    Ok(())
}
