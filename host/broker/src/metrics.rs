//! Prometheus metrics of a broker: installing [`wasmq_metrics::BrokerMetrics`] (the data path
//! records into it once installed), the scrape-time [`Probe`] (store size, disk ratio, consumer
//! lag, connections) and [`CountConnections`], which counts open client connections.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use wasmq_metrics::{BrokerCollector, BrokerMetrics, BrokerProbe, BrokerSample, ConsumerLag};
use wasmq_protocol::RemotingCommand;
use wasmq_remoting::{Connection, Dispatch, Service};

use crate::broker::Broker;

/// Turns recording on for `broker` (send / pull counters and latencies, and the store's flush
/// latency) and returns the collector that writes its families on each scrape.
pub fn install(broker: &Arc<Broker>) -> BrokerCollector {
    if !broker.set_metrics(BrokerMetrics::new()) {
        tracing::warn!("broker metrics were installed already; keeping the first set");
    }
    let recorded = Arc::clone(broker.metrics().expect("installed just above"));
    let flush = Arc::clone(&recorded);
    if !broker
        .store
        .set_flush_observer(Box::new(move |took| flush.observe_flush(took)))
    {
        tracing::warn!("the store already has a flush observer; flush latency not recorded");
    }
    BrokerCollector::new(recorded, Arc::new(Probe(Arc::clone(broker))))
}

/// Reads a broker's state at scrape time.
#[derive(Debug)]
pub struct Probe(pub Arc<Broker>);

impl BrokerProbe for Probe {
    fn sample(&self) -> BrokerSample {
        let b = &self.0;
        let stats = b.store.runtime_stats();
        BrokerSample {
            commit_log_disk_bytes: stats.commit_log_disk_bytes,
            commit_log_data_bytes: u64::try_from(
                stats.commit_log_max_offset - stats.commit_log_min_offset,
            )
            .unwrap_or(0),
            disk_used_ratio: stats.disk_used_ratio,
            connections: b.open_connections.load(Ordering::Relaxed),
            lags: consumer_lags(b),
        }
    }
}

/// Lag of every (group, topic) holding committed offsets: over the topic's read queues, the
/// queue's max offset minus the committed offset (a queue without a commit counts from its
/// min offset: everything still stored is unconsumed).
pub fn consumer_lags(b: &Broker) -> Vec<ConsumerLag> {
    let table = b.offsets.snapshot().offset_table;
    let mut out = Vec::with_capacity(table.len());
    for (key, committed) in &table {
        let Some((topic, group)) = key.rsplit_once('@') else {
            continue;
        };
        let Some(cfg) = b.topics.get(topic) else {
            continue;
        };
        let lag = (0..cfg.read_queue_nums)
            .map(|q| {
                let max = b.store.max_offset_in_queue(topic, q);
                let done = committed
                    .get(&q)
                    .copied()
                    .unwrap_or_else(|| b.store.min_offset_in_queue(topic, q));
                (max - done).max(0)
            })
            .sum();
        out.push(ConsumerLag {
            group: group.to_owned(),
            topic: topic.to_owned(),
            lag,
        });
    }
    out
}

/// A listener's service that keeps [`Broker::open_connections`] up to date (one atomic add
/// per connection opened or closed, whether or not the exporter is on).
pub struct CountConnections {
    /// The request table (behind the ACL when enabled).
    pub inner: Arc<dyn Service>,
    /// The broker whose gauge it keeps.
    pub broker: Arc<Broker>,
}

impl std::fmt::Debug for CountConnections {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CountConnections").finish_non_exhaustive()
    }
}

impl Service for CountConnections {
    fn call(&self, conn: &Connection, request: RemotingCommand) -> Dispatch {
        self.inner.call(conn, request)
    }

    fn connected(&self, conn: &Connection) {
        self.broker.open_connections.fetch_add(1, Ordering::Relaxed);
        self.inner.connected(conn);
    }

    fn disconnected(&self, conn: &Connection) {
        self.broker.open_connections.fetch_sub(1, Ordering::Relaxed);
        self.inner.disconnected(conn);
    }
}

/// Messages stored by one send request, recorded (once, when dropped) under the topic the
/// producer sent to, if metrics are on.
pub(crate) struct InTally<'a> {
    broker: &'a Broker,
    topic: &'a str,
    messages: u64,
    bytes: u64,
}

impl<'a> InTally<'a> {
    /// An empty tally for `topic`.
    pub(crate) fn new(broker: &'a Broker, topic: &'a str) -> Self {
        Self {
            broker,
            topic,
            messages: 0,
            bytes: 0,
        }
    }

    /// Adds what one put stored.
    pub(crate) fn add(&mut self, r: &wasmq_store::PutResult) {
        self.messages += u64::try_from(r.msg_num).unwrap_or(0);
        self.bytes += u64::try_from(r.wrote_bytes).unwrap_or(0);
    }
}

impl Drop for InTally<'_> {
    fn drop(&mut self) {
        if self.messages == 0 {
            return;
        }
        if let Some(m) = self.broker.metrics() {
            m.record_in(self.topic, self.messages, self.bytes);
        }
    }
}
