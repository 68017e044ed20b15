//! Per-binding plugin metrics, read from the plugin host at scrape time through
//! [`PluginProbe`] (the plugin host keeps the counters; nothing is recorded here).

use std::sync::Arc;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::DescriptorEncoder;

use crate::encode::{counters, gauges};

/// One binding's counters (the plugin host's `BindingMetrics`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BindingSample {
    /// Binding name.
    pub binding: String,
    /// Plugin name.
    pub plugin: String,
    /// Hook kind (`ingress-filter`, ...).
    pub hook: String,
    /// Whether the binding runs.
    pub enabled: bool,
    /// Calls into the plugin (one per batch).
    pub calls: u64,
    /// Messages passed to the plugin.
    pub messages: u64,
    /// Wall-clock nanoseconds spent in calls.
    pub nanos: u64,
    /// Messages rejected.
    pub rejects: u64,
    /// Messages discarded (or filtered out at the consumer side).
    pub discards: u64,
    /// Calls that trapped.
    pub traps: u64,
    /// Fuel consumed.
    pub fuel: u64,
    /// Failed calls of any kind (traps, fuel or memory exhaustion, plugin errors).
    pub failures: u64,
}

/// Reads the bindings' counters on each scrape.
pub trait PluginProbe: Send + Sync + std::fmt::Debug + 'static {
    /// Every active binding.
    fn bindings(&self) -> Vec<BindingSample>;
}

/// A counter family read from one field: name, help, field.
type Family = (&'static str, &'static str, fn(&BindingSample) -> u64);

/// Writes the `wasmq_plugin_*` families on each scrape.
#[derive(Debug)]
pub struct PluginCollector(pub Arc<dyn PluginProbe>);

impl Collector for PluginCollector {
    fn encode(&self, mut enc: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let bindings = self.0.bindings();
        let labels = |b: &BindingSample| -> [(&'static str, String); 3] {
            [
                ("binding", b.binding.clone()),
                ("plugin", b.plugin.clone()),
                ("hook", b.hook.clone()),
            ]
        };
        let column = |f: fn(&BindingSample) -> u64| -> Vec<([(&'static str, String); 3], u64)> {
            bindings.iter().map(|b| (labels(b), f(b))).collect()
        };
        let e = &mut enc;
        let families: [Family; 7] = [
            (
                "wasmq_plugin_calls",
                "Calls into the plugin (one per batch).",
                |b| b.calls,
            ),
            (
                "wasmq_plugin_messages",
                "Messages passed to the plugin.",
                |b| b.messages,
            ),
            (
                "wasmq_plugin_rejects",
                "Messages the plugin rejected.",
                |b| b.rejects,
            ),
            (
                "wasmq_plugin_discards",
                "Messages the plugin discarded or filtered out.",
                |b| b.discards,
            ),
            ("wasmq_plugin_traps", "Calls that trapped.", |b| b.traps),
            (
                "wasmq_plugin_failures",
                "Failed calls (traps, fuel or memory exhaustion, plugin errors).",
                |b| b.failures,
            ),
            (
                "wasmq_plugin_fuel_consumed",
                "Fuel consumed by calls.",
                |b| b.fuel,
            ),
        ];
        for (name, help, f) in families {
            counters(e, name, help, &column(f))?;
        }
        let seconds: Vec<_> = bindings
            .iter()
            .map(|b| (labels(b), b.nanos as f64 / 1e9))
            .collect();
        counters(
            e,
            "wasmq_plugin_call_seconds",
            "Wall-clock time spent in plugin calls.",
            &seconds,
        )?;
        let enabled: Vec<_> = bindings
            .iter()
            .map(|b| (labels(b), i64::from(b.enabled)))
            .collect();
        gauges(
            e,
            "wasmq_plugin_enabled",
            "1 when the binding runs, 0 when switched off.",
            &enabled,
        )
    }
}
