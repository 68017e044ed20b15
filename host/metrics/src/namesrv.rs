//! The nameserver's metrics: [`NamesrvMetrics`] counts requests by code and route lookups as
//! they are served; [`NamesrvProbe`] reads brokers, topics and connections at scrape time.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use prometheus_client::collector::Collector;
use prometheus_client::encoding::DescriptorEncoder;

use crate::encode::{counters, gauge};

/// Request counters of a nameserver. The table of codes is fixed at construction (the
/// router's), so counting is a map lookup and an atomic add, without a lock.
#[derive(Debug)]
pub struct NamesrvMetrics {
    /// `code -> (name, count)`.
    requests: HashMap<i32, (&'static str, AtomicU64)>,
    /// Requests whose code the router does not serve.
    unknown: AtomicU64,
    routes_found: AtomicU64,
    routes_not_found: AtomicU64,
}

impl NamesrvMetrics {
    /// Counters for the request codes `codes` (`(code, name)`, e.g. from `Router::codes`).
    pub fn new(codes: &[(i32, &'static str)]) -> Arc<Self> {
        Arc::new(Self {
            requests: codes
                .iter()
                .map(|(c, n)| (*c, (*n, AtomicU64::new(0))))
                .collect(),
            unknown: AtomicU64::new(0),
            routes_found: AtomicU64::new(0),
            routes_not_found: AtomicU64::new(0),
        })
    }

    /// One request with `code` arrived.
    pub fn record_request(&self, code: i32) {
        match self.requests.get(&code) {
            Some((_, n)) => n.fetch_add(1, Relaxed),
            None => self.unknown.fetch_add(1, Relaxed),
        };
    }

    /// One GET_ROUTEINFO_BY_TOPIC was answered with a route (`found`) or without.
    pub fn record_route_lookup(&self, found: bool) {
        let cell = if found {
            &self.routes_found
        } else {
            &self.routes_not_found
        };
        cell.fetch_add(1, Relaxed);
    }

    /// `(code, name, count)` of every code seen at least once, sorted by code; unknown codes
    /// as code -1, name `UNKNOWN`.
    pub fn requests(&self) -> Vec<(i32, &'static str, u64)> {
        let mut rows: Vec<_> = self
            .requests
            .iter()
            .map(|(c, (n, v))| (*c, *n, v.load(Relaxed)))
            .filter(|r| r.2 > 0)
            .collect();
        rows.sort_unstable();
        let unknown = self.unknown.load(Relaxed);
        if unknown > 0 {
            rows.push((-1, "UNKNOWN", unknown));
        }
        rows
    }
}

/// The nameserver's state as read at scrape time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NamesrvSample {
    /// Live registered broker addresses.
    pub brokers: u64,
    /// Topics with a route.
    pub topics: u64,
    /// Open connections (clients and brokers).
    pub connections: u64,
}

/// Reads the nameserver's state on each scrape.
pub trait NamesrvProbe: Send + Sync + std::fmt::Debug + 'static {
    /// The current values.
    fn sample(&self) -> NamesrvSample;
}

/// Writes the nameserver's metric families on each scrape.
#[derive(Debug)]
pub struct NamesrvCollector {
    metrics: Arc<NamesrvMetrics>,
    probe: Arc<dyn NamesrvProbe>,
}

impl NamesrvCollector {
    /// Recorded `metrics` plus what `probe` reads.
    pub fn new(metrics: Arc<NamesrvMetrics>, probe: Arc<dyn NamesrvProbe>) -> Self {
        Self { metrics, probe }
    }
}

impl Collector for NamesrvCollector {
    fn encode(&self, mut enc: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let requests = self.metrics.requests();
        let codes: Vec<String> = requests.iter().map(|r| r.0.to_string()).collect();
        let rows: Vec<([(&str, &str); 2], u64)> = requests
            .iter()
            .zip(&codes)
            .map(|((_, name, n), code)| ([("code", code.as_str()), ("name", *name)], *n))
            .collect();
        let e = &mut enc;
        counters(
            e,
            "wasmq_namesrv_requests",
            "Requests received, by request code.",
            &rows,
        )?;
        let lookups = [
            (
                [("result", "found")],
                self.metrics.routes_found.load(Relaxed),
            ),
            (
                [("result", "not_found")],
                self.metrics.routes_not_found.load(Relaxed),
            ),
        ];
        counters(
            e,
            "wasmq_namesrv_route_lookups",
            "GET_ROUTEINFO_BY_TOPIC answers, with a route or without (TOPIC_NOT_EXIST).",
            &lookups,
        )?;
        let s = self.probe.sample();
        gauge(
            e,
            "wasmq_namesrv_brokers",
            "Live registered brokers (addresses).",
            s.brokers as i64,
        )?;
        gauge(
            e,
            "wasmq_namesrv_topics",
            "Topics with a route.",
            s.topics as i64,
        )?;
        gauge(
            e,
            "wasmq_namesrv_connections",
            "Open connections (clients and brokers).",
            s.connections as i64,
        )
    }
}
