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

/// A registry to fill when the exporter is on, else `None` (nothing is recorded then).
pub fn registry(config: &MetricsConfig) -> Option<Registry> {
    config.enabled().then(Registry::default)
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

/// Serves `registry` (when the exporter is on) on the configured address.
pub async fn start(
    config: &MetricsConfig,
    registry: Option<Registry>,
) -> anyhow::Result<Option<MetricsServer>> {
    let Some(registry) = registry else {
        return Ok(None);
    };
    let addr = config.bind_addr()?;
    let server = wasmq_metrics::serve(addr, Arc::new(registry))
        .await
        .context("starting the Prometheus exporter (metricsPromExporterHost/Port)")?;
    Ok(Some(server))
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
