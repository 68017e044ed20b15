//! Produce and consume together: a long-polling consumer pulls while the producers send; the
//! consumer reads each message's send timestamp to measure end-to-end latency.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

use super::consume::{Consumed, Pulling, Shared, max_offsets, run_consume};
use super::load::Load;
use super::produce::{Measurement, ensure_topic, run_produce};
use super::progress::Progress;

/// Long-polling suspend time of the consumer.
const SUSPEND_MS: i64 = 1000;

/// Both sides of one run.
#[derive(Debug)]
pub struct E2e {
    /// The producers' measurement.
    pub produce: Measurement,
    /// The consumer's.
    pub consume: Consumed,
}

/// Runs `load` while consuming it with `group`; ends when every produced message was pulled.
pub async fn run_e2e(
    addr: SocketAddr,
    load: &Load,
    group: &str,
    progress: &Arc<Progress>,
    consume_deadline: Duration,
) -> anyhow::Result<E2e> {
    ensure_topic(addr, load).await?;
    let start = max_offsets(addr, &load.topic, load.queues).await?;
    let shared = Shared::new(u64::MAX)?;
    let pulling = Pulling {
        group: group.to_owned(),
        topic: load.topic.clone(),
        start: start.clone(),
        suspend_ms: SUSPEND_MS,
        batch: 32,
    };
    let consumer = {
        let (shared, progress) = (Arc::clone(&shared), Arc::clone(progress));
        tokio::spawn(async move {
            run_consume(addr, &pulling, &shared, &progress, true, consume_deadline).await
        })
    };
    let produced = run_produce(addr, load, progress).await;
    let end = max_offsets(addr, &load.topic, load.queues).await;
    let target = match &end {
        Ok(end) => end
            .iter()
            .zip(&start)
            .map(|(e, s)| (e - s).max(0) as u64)
            .sum(),
        Err(_) => 0,
    };
    shared.set_target(target);
    let consume = consumer.await.context("consumer task")?;
    let produce = produced?;
    end?;
    Ok(E2e {
        produce,
        consume: consume?,
    })
}
