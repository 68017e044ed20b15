//! Prometheus metrics: the broker's and nameserver's metric families and the `/metrics` HTTP
//! endpoint, on the Prometheus project's `prometheus-client`.
//!
//! - [`config`]: [`MetricsConfig`], the exporter keys (RocketMQ 5's `metricsExporterType`,
//!   `metricsPromExporterHost`, `metricsPromExporterPort`).
//! - [`broker`]: [`BrokerMetrics`] (recorded on the data path) and [`BrokerProbe`] (read at
//!   scrape time), written by [`BrokerCollector`].
//! - [`namesrv`]: the same for the nameserver.
//! - [`plugins`]: per-binding plugin counters, read from the plugin host at scrape time.
//! - [`histogram`]: [`LatencyHistogram`], lock-free atomic buckets.
//! - [`server`]: the axum server answering `GET /metrics`.
//!
//! Everything a scrape shows is either an atomic counter bumped once per request or a value
//! read when the scrape arrives; nothing is recorded while the exporter is off (the servers
//! hold no [`BrokerMetrics`] then).

pub mod broker;
pub mod config;
mod encode;
pub mod histogram;
pub mod namesrv;
pub mod plugins;
pub mod server;

pub use broker::{BrokerCollector, BrokerMetrics, BrokerProbe, BrokerSample, ConsumerLag};
pub use config::{ExporterType, MetricsConfig};
pub use histogram::LatencyHistogram;
pub use namesrv::{NamesrvCollector, NamesrvMetrics, NamesrvProbe, NamesrvSample};
pub use plugins::{BindingSample, PluginCollector, PluginProbe};
pub use prometheus_client::registry::Registry;
pub use server::{MetricsServer, bind, serve, serve_on};

#[cfg(test)]
mod tests;
