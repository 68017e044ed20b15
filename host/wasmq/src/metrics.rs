//! The Prometheus exporter of a server process (`metricsExporterType=PROM`): one registry for
//! the roles the process runs (nameserver, broker, plugin bindings), served at `GET /metrics`
//! on `metricsPromExporterHost:metricsPromExporterPort`.

use std::sync::Arc;

use anyhow::Context;
use wasmq_metrics::{
    BindingSample, MetricsConfig, MetricsServer, NamesrvMetrics, PluginCollector, PluginProbe,
    Registry,
};
use wasmq_plugin_host::PluginHost;

/// The exporter of a process, when `metricsExporterType=PROM`: its address is bound before the
/// roles start (a taken port fails the process at once); the roles add their families.
#[derive(Debug)]
pub struct Exporter {
    listener: tokio::net::TcpListener,
    /// The families served.
    pub registry: Registry,
}

/// Binds the exporter's address when the exporter is on, else `None` (nothing is recorded then).
pub async fn bind(config: &MetricsConfig) -> anyhow::Result<Option<Exporter>> {
    if !config.enabled() {
        return Ok(None);
    }
    let listener = wasmq_metrics::bind(config.bind_addr()?)
        .await
        .context("starting the Prometheus exporter (metricsPromExporterHost/Port)")?;
    Ok(Some(Exporter {
        listener,
        registry: Registry::default(),
    }))
}

/// Adds the nameserver's families; returns the counters its listener must record into.
pub fn add_namesrv(
    registry: &mut Registry,
    state: &Arc<wasmq_namesrv::NamesrvState>,
) -> Arc<NamesrvMetrics> {
    let (metrics, collector) = wasmq_namesrv::metrics::install(state);
    registry.register_collector(Box::new(collector));
    metrics
}

/// Turns the broker's recording on and adds its families and the plugin bindings'.
pub fn add_broker(
    registry: &mut Registry,
    broker: &Arc<wasmq_broker::Broker>,
    plugins: &PluginHost,
) {
    registry.register_collector(Box::new(wasmq_broker::metrics::install(broker)));
    registry.register_collector(Box::new(PluginCollector(Arc::new(PluginBindings(
        plugins.clone(),
    )))));
}

/// Starts serving the exporter's families (when it is on).
pub fn start(exporter: Option<Exporter>) -> anyhow::Result<Option<MetricsServer>> {
    exporter
        .map(|e| wasmq_metrics::serve_on(e.listener, Arc::new(e.registry)))
        .transpose()
}

/// The plugin host's per-binding counters, read at scrape time.
#[derive(Debug)]
struct PluginBindings(PluginHost);

impl PluginProbe for PluginBindings {
    fn bindings(&self) -> Vec<BindingSample> {
        crate::plugins::plugin_list(&self.0)
            .bindings
            .into_iter()
            .map(|r| BindingSample {
                binding: r.binding,
                plugin: r.plugin,
                hook: r.hook,
                enabled: r.enabled,
                calls: r.calls,
                messages: r.messages,
                nanos: r.nanos,
                rejects: r.rejects,
                discards: r.discards,
                traps: r.traps,
                fuel: r.fuel,
                failures: r.failures,
            })
            .collect()
    }
}
