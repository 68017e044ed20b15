//! Per-binding counters (calls, messages, time, verdicts, failures, fuel) and plugin-reported metrics.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use parking_lot::Mutex;
use serde::Serialize;

use crate::spec::HookKind;

/// A snapshot of one binding's counters. Counters survive hot reloads of the plugin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BindingMetrics {
    pub binding: String,
    pub plugin: String,
    /// Version from the plugin's `describe`.
    pub plugin_version: String,
    pub hook: HookKind,
    pub enabled: bool,
    /// Calls into the plugin (one per batch).
    pub calls: u64,
    /// Messages sent to the plugin.
    pub messages: u64,
    /// Wall-clock nanoseconds spent in calls.
    pub nanos: u64,
    /// Fuel consumed by calls.
    pub fuel_consumed: u64,
    /// Messages the plugin rejected.
    pub rejects: u64,
    /// Messages the plugin discarded (or filtered out at the consumer side).
    pub discards: u64,
    /// Calls that trapped (panic, unreachable, ...), excluding the two below.
    pub traps: u64,
    /// Calls stopped by the fuel limit.
    pub fuel_exhausted: u64,
    /// Calls stopped by the memory limit.
    pub memory_exhausted: u64,
    /// Calls where the plugin returned an error or malformed output.
    pub plugin_errors: u64,
    /// Instances created (the first one, and one after each trap).
    pub instances_created: u64,
    /// Calls not made because the binding was backing off after repeated failures
    /// (answered by the failure policy).
    pub skipped: u64,
    /// Instances dropped because their linear memory grew past half the cap.
    pub recycled: u64,
    /// Log lines from the plugin (log import, stdout, stderr).
    pub log_lines: u64,
    /// Counters reported by the plugin through the `metrics` import.
    pub counters: BTreeMap<String, u64>,
    /// Gauges reported by the plugin through the `metrics` import.
    pub gauges: BTreeMap<String, i64>,
}

impl BindingMetrics {
    /// Calls that failed for any reason (each answered by the failure policy).
    pub fn failures(&self) -> u64 {
        self.traps + self.fuel_exhausted + self.memory_exhausted + self.plugin_errors
    }
}

/// Live counters of one binding, shared by its instances and kept across reloads.
#[derive(Debug, Default)]
pub(crate) struct BindingCells {
    pub calls: AtomicU64,
    pub messages: AtomicU64,
    pub nanos: AtomicU64,
    pub fuel_consumed: AtomicU64,
    pub rejects: AtomicU64,
    pub discards: AtomicU64,
    pub traps: AtomicU64,
    pub fuel_exhausted: AtomicU64,
    pub memory_exhausted: AtomicU64,
    pub plugin_errors: AtomicU64,
    pub instances_created: AtomicU64,
    pub recycled: AtomicU64,
    pub skipped: AtomicU64,
    pub log_lines: AtomicU64,
    pub custom: Mutex<(BTreeMap<String, u64>, BTreeMap<String, i64>)>,
}

impl BindingCells {
    pub fn add(cell: &AtomicU64, n: u64) {
        cell.fetch_add(n, Relaxed);
    }

    pub fn snapshot(
        &self,
        binding: &str,
        plugin: &str,
        version: &str,
        hook: HookKind,
        enabled: bool,
    ) -> BindingMetrics {
        let custom = self.custom.lock();
        BindingMetrics {
            binding: binding.into(),
            plugin: plugin.into(),
            plugin_version: version.into(),
            hook,
            enabled,
            calls: self.calls.load(Relaxed),
            messages: self.messages.load(Relaxed),
            nanos: self.nanos.load(Relaxed),
            fuel_consumed: self.fuel_consumed.load(Relaxed),
            rejects: self.rejects.load(Relaxed),
            discards: self.discards.load(Relaxed),
            traps: self.traps.load(Relaxed),
            fuel_exhausted: self.fuel_exhausted.load(Relaxed),
            memory_exhausted: self.memory_exhausted.load(Relaxed),
            plugin_errors: self.plugin_errors.load(Relaxed),
            instances_created: self.instances_created.load(Relaxed),
            recycled: self.recycled.load(Relaxed),
            skipped: self.skipped.load(Relaxed),
            log_lines: self.log_lines.load(Relaxed),
            counters: custom.0.clone(),
            gauges: custom.1.clone(),
        }
    }
}
