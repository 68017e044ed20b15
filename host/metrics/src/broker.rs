//! The broker's metrics: [`BrokerMetrics`] is recorded on the data path (per-topic traffic,
//! send / pull / flush latency); [`BrokerProbe`] is read at scrape time (store size, disk
//! ratio, consumer lag, connections). [`BrokerCollector`] writes both on every scrape.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use parking_lot::RwLock;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::DescriptorEncoder;

use crate::encode::{counters, gauge, gauges, metric};
use crate::histogram::LatencyHistogram;

/// Traffic counters of one topic.
#[derive(Debug, Default)]
struct TopicTraffic {
    messages_in: AtomicU64,
    bytes_in: AtomicU64,
    messages_out: AtomicU64,
    bytes_out: AtomicU64,
}

/// What the broker records as it serves. One per broker; cheap to share (`Arc`).
///
/// Recording costs one read-locked map lookup by `&str` (no allocation; the write lock is taken
/// once per new topic) and relaxed atomic adds, once per request, never per message.
#[derive(Debug, Default)]
pub struct BrokerMetrics {
    topics: RwLock<HashMap<Box<str>, TopicTraffic>>,
    send_latency: LatencyHistogram,
    pull_latency: LatencyHistogram,
    flush_latency: LatencyHistogram,
}

impl BrokerMetrics {
    /// A fresh set of counters.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    fn with_topic(&self, topic: &str, f: impl FnOnce(&TopicTraffic)) {
        if let Some(t) = self.topics.read().get(topic) {
            f(t);
            return;
        }
        let mut w = self.topics.write();
        f(w.entry(topic.into()).or_default());
    }

    /// `messages` stored records of `bytes` record bytes arrived for `topic` (send path).
    pub fn record_in(&self, topic: &str, messages: u64, bytes: u64) {
        self.with_topic(topic, |t| {
            t.messages_in.fetch_add(messages, Relaxed);
            t.bytes_in.fetch_add(bytes, Relaxed);
        });
    }

    /// A pull returned `messages` records of `bytes` record bytes of `topic`.
    pub fn record_out(&self, topic: &str, messages: u64, bytes: u64) {
        self.with_topic(topic, |t| {
            t.messages_out.fetch_add(messages, Relaxed);
            t.bytes_out.fetch_add(bytes, Relaxed);
        });
    }

    /// One send request took `d` to process.
    pub fn observe_send(&self, d: Duration) {
        self.send_latency.observe(d);
    }

    /// One pull request took `d` to process (time held waiting for messages excluded).
    pub fn observe_pull(&self, d: Duration) {
        self.pull_latency.observe(d);
    }

    /// One commit-log flush (msync) took `d`.
    pub fn observe_flush(&self, d: Duration) {
        self.flush_latency.observe(d);
    }

    /// `(topic, messages_in, bytes_in, messages_out, bytes_out)`, sorted by topic.
    pub fn traffic(&self) -> Vec<(String, [u64; 4])> {
        let mut rows: Vec<_> = self
            .topics
            .read()
            .iter()
            .map(|(topic, t)| {
                let v = [
                    t.messages_in.load(Relaxed),
                    t.bytes_in.load(Relaxed),
                    t.messages_out.load(Relaxed),
                    t.bytes_out.load(Relaxed),
                ];
                (topic.to_string(), v)
            })
            .collect();
        rows.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        rows
    }
}

/// Lag of one consumer group on one topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerLag {
    /// Consumer group.
    pub group: String,
    /// Topic.
    pub topic: String,
    /// Messages stored and not yet committed by the group, over all queues.
    pub lag: i64,
}

/// The broker's state as read at scrape time.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BrokerSample {
    /// Bytes of commit-log files on disk (whole mapped files).
    pub commit_log_disk_bytes: u64,
    /// Bytes of records in the commit log (max offset - min offset).
    pub commit_log_data_bytes: u64,
    /// Used ratio (0..=1) of the store's disk at the last clean-up pass, if measurable.
    pub disk_used_ratio: Option<f64>,
    /// Open client connections.
    pub connections: u64,
    /// Consumer lag per group and topic.
    pub lags: Vec<ConsumerLag>,
}

/// Reads the broker's state on each scrape.
pub trait BrokerProbe: Send + Sync + std::fmt::Debug + 'static {
    /// The current values.
    fn sample(&self) -> BrokerSample;
}

/// Writes the broker's metric families on each scrape.
#[derive(Debug)]
pub struct BrokerCollector {
    metrics: Arc<BrokerMetrics>,
    probe: Arc<dyn BrokerProbe>,
}

impl BrokerCollector {
    /// Recorded `metrics` plus what `probe` reads.
    pub fn new(metrics: Arc<BrokerMetrics>, probe: Arc<dyn BrokerProbe>) -> Self {
        Self { metrics, probe }
    }
}

type Labels<'a> = [(&'static str, &'a str); 1];

impl Collector for BrokerCollector {
    fn encode(&self, mut enc: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let traffic = self.metrics.traffic();
        let column = |i: usize| -> Vec<(Labels<'_>, u64)> {
            traffic
                .iter()
                .map(|(topic, v)| ([("topic", topic.as_str())], v[i]))
                .collect()
        };
        let e = &mut enc;
        counters(
            e,
            "wasmq_broker_messages_in",
            "Messages stored by send requests, by the topic the producer sent to.",
            &column(0),
        )?;
        counters(
            e,
            "wasmq_broker_bytes_in",
            "Record bytes stored by send requests (RocketMQ's putMessageSize), by topic.",
            &column(1),
        )?;
        counters(
            e,
            "wasmq_broker_messages_out",
            "Messages returned by pulls, by topic.",
            &column(2),
        )?;
        counters(
            e,
            "wasmq_broker_bytes_out",
            "Record bytes returned by pulls, by topic.",
            &column(3),
        )?;
        metric(
            e,
            "wasmq_broker_send_latency_seconds",
            "Send request processing time (checks, plugins, store, durability wait).",
            &self.metrics.send_latency,
        )?;
        metric(
            e,
            "wasmq_broker_pull_latency_seconds",
            "Pull request processing time, excluding the time a pull is held for new messages.",
            &self.metrics.pull_latency,
        )?;
        metric(
            e,
            "wasmq_store_flush_latency_seconds",
            "Commit-log flush (msync) duration.",
            &self.metrics.flush_latency,
        )?;
        let s = self.probe.sample();
        gauge(
            e,
            "wasmq_store_commitlog_disk_bytes",
            "Bytes of commit-log files on disk.",
            s.commit_log_disk_bytes as i64,
        )?;
        gauge(
            e,
            "wasmq_store_commitlog_data_bytes",
            "Bytes of records in the commit log (max offset - min offset).",
            s.commit_log_data_bytes as i64,
        )?;
        if let Some(r) = s.disk_used_ratio {
            gauge(
                e,
                "wasmq_store_disk_used_ratio",
                "Used ratio (0..1) of the store's disk at the last clean-up pass.",
                r,
            )?;
        }
        gauge(
            e,
            "wasmq_broker_connections",
            "Open client connections.",
            s.connections as i64,
        )?;
        let lags: Vec<([(&str, &str); 2], i64)> = s
            .lags
            .iter()
            .map(|l| {
                (
                    [("group", l.group.as_str()), ("topic", l.topic.as_str())],
                    l.lag,
                )
            })
            .collect();
        gauges(
            e,
            "wasmq_broker_consumer_lag",
            "Messages not yet consumed (max offset - committed offset, over the topic's queues).",
            &lags,
        )?;
        Ok(())
    }
}
