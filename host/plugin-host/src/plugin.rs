//! A loaded plugin version (compiled component + `describe`), and a binding's pool of reusable instances.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use anyhow::{Context, bail};
use parking_lot::Mutex;
use serde::Serialize;
use sha2::{Digest, Sha256};
use wasmtime::component::InstancePre;
use wasmtime::{Store, Trap};

use crate::bindings::{filter, plugin, retention, route_policy, router, transform, types};
use crate::engine::{Runtime, StoreState, WasmtimeResultExt};
use crate::message::{EncodeOptions, empty_batch};
use crate::metrics::BindingCells;
use crate::spec::{BindingSpec, HookKind};

/// What a plugin says about itself (its `describe` export).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PluginDescription {
    pub name: String,
    pub version: String,
    pub hooks: Vec<HookKind>,
    pub needs_body: bool,
    pub reads_tags: bool,
    pub reads_keys: bool,
    /// `None` = all properties.
    pub reads_properties: Option<Vec<String>>,
    /// Non-empty: only messages with one of these tags are sent to filter/router hooks.
    pub only_tags: Vec<String>,
}

impl From<types::PluginInfo> for PluginDescription {
    fn from(i: types::PluginInfo) -> Self {
        PluginDescription {
            name: i.name,
            version: i.version,
            hooks: i.hooks.into_iter().map(HookKind::from).collect(),
            needs_body: i.needs_body,
            reads_tags: i.reads_tags,
            reads_keys: i.reads_keys,
            reads_properties: i.reads_properties,
            only_tags: i.only_tags,
        }
    }
}

impl From<types::Hook> for HookKind {
    fn from(h: types::Hook) -> Self {
        match h {
            types::Hook::IngressFilter => HookKind::IngressFilter,
            types::Hook::ConsumerFilter => HookKind::ConsumerFilter,
            types::Hook::Transform => HookKind::Transform,
            types::Hook::Router => HookKind::Router,
            types::Hook::RoutePolicy => HookKind::RoutePolicy,
            types::Hook::Retention => HookKind::Retention,
        }
    }
}

/// Export lookups resolved once per plugin version.
struct ExportIndices {
    plugin: plugin::GuestIndices,
    filter: Option<filter::GuestIndices>,
    transform: Option<transform::GuestIndices>,
    router: Option<router::GuestIndices>,
    route_policy: Option<route_policy::GuestIndices>,
    retention: Option<retention::GuestIndices>,
}

/// One compiled, described version of a plugin file.
pub(crate) struct LoadedPlugin {
    /// File stem: the name bindings use.
    pub name: String,
    pub path: PathBuf,
    pub sha256: String,
    pub size: u64,
    pub description: PluginDescription,
    pre: InstancePre<StoreState>,
    exports: ExportIndices,
}

impl std::fmt::Debug for LoadedPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedPlugin")
            .field("name", &self.name)
            .field("sha256", &self.sha256)
            .finish_non_exhaustive()
    }
}

/// Hex SHA-256 of a byte string.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl LoadedPlugin {
    /// Reads, compiles (through the cache), links and describes a plugin file.
    pub fn load(
        runtime: &Runtime,
        path: &Path,
        cache_dir: Option<&Path>,
    ) -> anyhow::Result<LoadedPlugin> {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .context("plugin file name is not UTF-8")?
            .to_string();
        Self::from_bytes(runtime, name, path.to_path_buf(), &bytes, cache_dir)
    }

    /// Same as [`LoadedPlugin::load`] with the bytes already read.
    pub fn from_bytes(
        runtime: &Runtime,
        name: String,
        path: PathBuf,
        bytes: &[u8],
        cache_dir: Option<&Path>,
    ) -> anyhow::Result<LoadedPlugin> {
        if !bytes.starts_with(b"\0asm") {
            bail!("{} is not a WebAssembly file", path.display());
        }
        if bytes.get(4..8) == Some(&[1, 0, 0, 0]) {
            bail!(
                "{} is a core WebAssembly module, not a component: build with `cargo component build` or for wasm32-wasip2",
                path.display()
            );
        }
        let sha256 = sha256_hex(bytes);
        let component = crate::cache::compile(&runtime.engine, bytes, &sha256, cache_dir)
            .with_context(|| format!("compiling {}", path.display()))?;
        let pre = runtime.linker.instantiate_pre(&component).ah().with_context(|| {
            format!("linking {}: it imports something the host does not provide (see `wasmq plugin check`)", path.display())
        })?;
        let exports = ExportIndices {
            plugin: plugin::GuestIndices::new(&pre).ah().with_context(|| {
                format!(
                    "{} does not export wasmq:plugin/plugin@0.1.0",
                    path.display()
                )
            })?,
            filter: filter::GuestIndices::new(&pre).ok(),
            transform: transform::GuestIndices::new(&pre).ok(),
            router: router::GuestIndices::new(&pre).ok(),
            route_policy: route_policy::GuestIndices::new(&pre).ok(),
            retention: retention::GuestIndices::new(&pre).ok(),
        };
        let mut loaded = LoadedPlugin {
            name,
            path,
            sha256,
            size: bytes.len() as u64,
            description: PluginDescription {
                name: String::new(),
                version: String::new(),
                hooks: Vec::new(),
                needs_body: false,
                reads_tags: false,
                reads_keys: false,
                reads_properties: None,
                only_tags: Vec::new(),
            },
            pre,
            exports,
        };
        let cells = Arc::new(BindingCells::default());
        let label: Arc<str> = format!("{}(describe)", loaded.name).into();
        let mut store = Store::new(
            &runtime.engine,
            StoreState::new(label, Arc::new(Vec::new()), cells, 64 << 20),
        );
        store.limiter(|s| &mut s.limits);
        store.set_fuel(1_000_000_000)?;
        let instance = loaded
            .pre
            .instantiate(&mut store)
            .ah()
            .context("instantiating for describe")?;
        let guest = loaded.exports.plugin.load(&mut store, &instance)?;
        loaded.description = guest
            .call_describe(&mut store)
            .ah()
            .context("calling describe")?
            .into();
        for hook in &loaded.description.hooks {
            if !loaded.exports_hook(*hook) {
                bail!(
                    "{} lists hook `{hook}` in describe but does not export its interface",
                    loaded.path.display()
                );
            }
        }
        Ok(loaded)
    }

    /// Whether the component exports the interface of `hook`.
    pub fn exports_hook(&self, hook: HookKind) -> bool {
        match hook {
            HookKind::IngressFilter | HookKind::ConsumerFilter => self.exports.filter.is_some(),
            HookKind::Transform => self.exports.transform.is_some(),
            HookKind::Router => self.exports.router.is_some(),
            HookKind::RoutePolicy => self.exports.route_policy.is_some(),
            HookKind::Retention => self.exports.retention.is_some(),
        }
    }
}

/// A live instance: its store and the typed exports of the binding's hook.
pub(crate) struct PluginInstance {
    pub store: Store<StoreState>,
    pub filter: Option<filter::Guest>,
    pub transform: Option<transform::Guest>,
    pub router: Option<router::Guest>,
    pub route_policy: Option<route_policy::Guest>,
    pub retention: Option<retention::Guest>,
    /// Reused batch buffers.
    pub batch: types::MessageBatch,
}

/// Why a call did not produce a result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailureKind {
    /// The guest trapped (panic, unreachable, bad memory access, ...).
    Trap,
    /// The fuel limit stopped the call.
    FuelExhausted,
    /// The memory limit stopped the call.
    MemoryExhausted,
    /// The plugin returned an error, or output that does not fit the input.
    PluginError,
    /// No instance could be created.
    Unavailable,
}

/// A failed call, before the failure policy is applied.
#[derive(Debug, Clone)]
pub(crate) struct CallError {
    pub kind: FailureKind,
    pub message: String,
}

/// Consecutive failed calls after which a binding backs off.
pub(crate) const BACKOFF_AFTER: u32 = 3;
const BACKOFF_BASE: std::time::Duration = std::time::Duration::from_millis(100);
const BACKOFF_MAX: std::time::Duration = std::time::Duration::from_secs(10);

/// Consecutive failures and, once there are too many, until when calls are skipped.
#[derive(Debug, Default)]
struct Backoff {
    consecutive: u32,
    until: Option<Instant>,
}

/// Idle instances kept per binding (one per concurrently calling thread, up to this many).
const MAX_IDLE: usize = 8;

/// A binding with its plugin version, configuration, counters and instance pool.
pub(crate) struct BindingRuntime {
    pub spec: BindingSpec,
    pub plugin: Arc<LoadedPlugin>,
    pub cells: Arc<BindingCells>,
    pub enabled: Arc<AtomicBool>,
    pub encode: EncodeOptions,
    runtime: Arc<Runtime>,
    config: Arc<Vec<(String, String)>>,
    label: Arc<str>,
    pool: Mutex<Vec<PluginInstance>>,
    backoff: Mutex<Backoff>,
    /// Set while `backoff` holds failures: a healthy binding's calls never take its lock.
    failing: AtomicBool,
}

impl std::fmt::Debug for BindingRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BindingRuntime")
            .field("binding", &self.spec.name)
            .field("plugin", &self.plugin.name)
            .finish_non_exhaustive()
    }
}

impl BindingRuntime {
    /// Creates the binding and its first instance (which runs the plugin's `init`).
    pub fn new(
        runtime: Arc<Runtime>,
        spec: BindingSpec,
        plugin: Arc<LoadedPlugin>,
        cells: Arc<BindingCells>,
        enabled: Arc<AtomicBool>,
    ) -> anyhow::Result<BindingRuntime> {
        if !plugin.description.hooks.contains(&spec.hook) {
            bail!(
                "binding `{}`: plugin `{}` does not implement hook `{}` (it lists: {:?})",
                spec.name,
                plugin.name,
                spec.hook,
                plugin
                    .description
                    .hooks
                    .iter()
                    .map(|h| h.as_str())
                    .collect::<Vec<_>>()
            );
        }
        let d = &plugin.description;
        let filtered_hook = matches!(
            spec.hook,
            HookKind::IngressFilter | HookKind::ConsumerFilter | HookKind::Router
        );
        let encode = EncodeOptions {
            bodies: d.needs_body,
            tags: d.reads_tags || spec.hook == HookKind::Transform,
            keys: d.reads_keys || spec.hook == HookKind::Transform,
            properties: if filtered_hook {
                d.reads_properties.clone()
            } else {
                None
            },
        };
        let binding = BindingRuntime {
            label: format!("{}[{}]", plugin.name, spec.name).into(),
            config: Arc::new(spec.config.clone()),
            spec,
            plugin,
            cells,
            enabled,
            encode,
            runtime,
            pool: Mutex::new(Vec::new()),
            backoff: Mutex::new(Backoff::default()),
            failing: AtomicBool::new(false),
        };
        let first = binding
            .instantiate()
            .map_err(|e| anyhow::anyhow!("binding `{}`: {}", binding.spec.name, e.message))?;
        binding.pool.lock().push(first);
        Ok(binding)
    }

    pub fn is_enabled(&self) -> bool {
        self.enabled.load(Ordering::Relaxed)
    }

    fn instantiate(&self) -> Result<PluginInstance, CallError> {
        let unavailable = |e: wasmtime::Error| CallError {
            kind: FailureKind::Unavailable,
            message: format!("{:#}", anyhow::Error::from(e)),
        };
        let state = StoreState::new(
            self.label.clone(),
            self.config.clone(),
            self.cells.clone(),
            (self.spec.memory_mib as usize) << 20,
        );
        let mut store = Store::new(&self.runtime.engine, state);
        store.limiter(|s| &mut s.limits);
        store
            .set_fuel(self.spec.fuel.saturating_mul(10))
            .map_err(unavailable)?;
        let instance = self
            .plugin
            .pre
            .instantiate(&mut store)
            .map_err(unavailable)?;
        let ex = &self.plugin.exports;
        let guest = ex.plugin.load(&mut store, &instance).map_err(unavailable)?;
        let hook = self.spec.hook;
        let mut inst = PluginInstance {
            filter: None,
            transform: None,
            router: None,
            route_policy: None,
            retention: None,
            batch: empty_batch(),
            store,
        };
        let missing = || CallError {
            kind: FailureKind::Unavailable,
            message: format!("plugin does not export hook `{hook}`"),
        };
        match hook {
            HookKind::IngressFilter | HookKind::ConsumerFilter => {
                inst.filter = Some(
                    ex.filter
                        .as_ref()
                        .ok_or_else(missing)?
                        .load(&mut inst.store, &instance)
                        .map_err(unavailable)?,
                )
            }
            HookKind::Transform => {
                inst.transform = Some(
                    ex.transform
                        .as_ref()
                        .ok_or_else(missing)?
                        .load(&mut inst.store, &instance)
                        .map_err(unavailable)?,
                )
            }
            HookKind::Router => {
                inst.router = Some(
                    ex.router
                        .as_ref()
                        .ok_or_else(missing)?
                        .load(&mut inst.store, &instance)
                        .map_err(unavailable)?,
                )
            }
            HookKind::RoutePolicy => {
                inst.route_policy = Some(
                    ex.route_policy
                        .as_ref()
                        .ok_or_else(missing)?
                        .load(&mut inst.store, &instance)
                        .map_err(unavailable)?,
                )
            }
            HookKind::Retention => {
                inst.retention = Some(
                    ex.retention
                        .as_ref()
                        .ok_or_else(missing)?
                        .load(&mut inst.store, &instance)
                        .map_err(unavailable)?,
                )
            }
        }
        match guest.call_init(&mut inst.store) {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                return Err(CallError {
                    kind: FailureKind::Unavailable,
                    message: format!("init refused the configuration: {}", e.message),
                });
            }
            Err(e) => {
                return Err(CallError {
                    kind: FailureKind::Unavailable,
                    message: format!("init trapped: {:#}", anyhow::Error::from(e)),
                });
            }
        }
        BindingCells::add(&self.cells.instances_created, 1);
        Ok(inst)
    }

    /// Runs one call on a pooled instance with a fresh fuel budget. A trapped instance is dropped
    /// (the next call creates a new one); counters are updated either way.
    ///
    /// After [`BACKOFF_AFTER`] consecutive failures the binding is not called for a while (100 ms,
    /// doubling up to 10 s): calls are answered at once with `Unavailable`, so the failure policy
    /// decides without paying for a re-instantiation per call. A success resets it.
    pub fn call<R>(
        &self,
        messages: usize,
        f: impl FnOnce(&mut PluginInstance) -> wasmtime::Result<Result<R, types::PluginError>>,
    ) -> Result<R, CallError> {
        let failing = self.failing.load(Ordering::Acquire);
        if failing
            && let Some(until) = self.backoff.lock().until
            && Instant::now() < until
        {
            BindingCells::add(&self.cells.skipped, 1);
            return Err(CallError {
                kind: FailureKind::Unavailable,
                message: "backing off after repeated failures".into(),
            });
        }
        let result = self.call_once(messages, f);
        match &result {
            // Re-read: another thread's call may have failed meanwhile; a success resets it.
            Ok(_) if !self.failing.load(Ordering::Acquire) => {}
            Ok(_) => {
                *self.backoff.lock() = Backoff::default();
                self.failing.store(false, Ordering::Release);
            }
            Err(_) => {
                let mut backoff = self.backoff.lock();
                self.failing.store(true, Ordering::Release);
                backoff.consecutive += 1;
                if backoff.consecutive >= BACKOFF_AFTER {
                    let doublings = (backoff.consecutive - BACKOFF_AFTER).min(7);
                    let wait = (BACKOFF_BASE * 2u32.pow(doublings)).min(BACKOFF_MAX);
                    backoff.until = Some(Instant::now() + wait);
                    tracing::warn!(
                        plugin = &*self.label,
                        failures = backoff.consecutive,
                        ?wait,
                        "plugin keeps failing; backing off"
                    );
                }
            }
        }
        result
    }

    fn call_once<R>(
        &self,
        messages: usize,
        f: impl FnOnce(&mut PluginInstance) -> wasmtime::Result<Result<R, types::PluginError>>,
    ) -> Result<R, CallError> {
        let pooled = self.pool.lock().pop();
        let mut inst = match pooled {
            Some(i) => i,
            None => self.instantiate().inspect_err(|e| {
                BindingCells::add(&self.cells.traps, 1);
                tracing::error!(plugin = &*self.label, cause = %e.message, "cannot create a plugin instance");
            })?,
        };
        let c = &self.cells;
        if let Err(e) = inst.store.set_fuel(self.spec.fuel) {
            return Err(CallError {
                kind: FailureKind::Unavailable,
                message: format!("{:#}", anyhow::Error::from(e)),
            });
        }
        let start = Instant::now();
        // A panic inside a host function (wasmtime re-raises it once out of wasm) must not take the
        // caller down: it is treated as a trap and the instance is dropped.
        let result = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&mut inst))) {
            Ok(r) => r,
            Err(payload) => {
                let what = payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown panic".into());
                Err(wasmtime::format_err!(
                    "host function panicked during the call: {what}"
                ))
            }
        };
        BindingCells::add(&c.nanos, start.elapsed().as_nanos() as u64);
        BindingCells::add(&c.calls, 1);
        BindingCells::add(&c.messages, messages as u64);
        let left = inst.store.get_fuel().unwrap_or(0);
        BindingCells::add(&c.fuel_consumed, self.spec.fuel.saturating_sub(left));
        match result {
            Ok(Ok(r)) => {
                self.recycle(inst);
                Ok(r)
            }
            Ok(Err(e)) => {
                self.recycle(inst);
                BindingCells::add(&c.plugin_errors, 1);
                tracing::warn!(plugin = &*self.label, cause = %e.message, "plugin returned an error");
                Err(CallError {
                    kind: FailureKind::PluginError,
                    message: e.message,
                })
            }
            Err(e) => {
                let out_of_fuel = e.downcast_ref::<Trap>() == Some(&Trap::OutOfFuel);
                let e = anyhow::Error::from(e);
                let text = format!("{e:#}");
                let kind = if out_of_fuel {
                    BindingCells::add(&c.fuel_exhausted, 1);
                    FailureKind::FuelExhausted
                } else if text.contains("forcing trap when growing memory") {
                    BindingCells::add(&c.memory_exhausted, 1);
                    FailureKind::MemoryExhausted
                } else {
                    BindingCells::add(&c.traps, 1);
                    FailureKind::Trap
                };
                tracing::error!(plugin = &*self.label, ?kind, cause = %format!("{e:?}"), "plugin call failed; instance replaced");
                Err(CallError {
                    kind,
                    message: text,
                })
            }
        }
    }

    /// Records a plugin answer that does not fit its input (e.g. wrong number of verdicts).
    pub fn bad_output(&self, what: String) -> CallError {
        BindingCells::add(&self.cells.plugin_errors, 1);
        tracing::warn!(plugin = &*self.label, cause = %what, "plugin returned malformed output");
        CallError {
            kind: FailureKind::PluginError,
            message: what,
        }
    }

    fn recycle(&self, inst: PluginInstance) {
        // Linear memory never shrinks: an instance that grew past half its cap is replaced.
        let cap = (self.spec.memory_mib as usize) << 20;
        if inst.store.data().limits.largest_memory > cap / 2 {
            BindingCells::add(&self.cells.recycled, 1);
            tracing::debug!(
                plugin = &*self.label,
                memory = inst.store.data().limits.largest_memory,
                "recycling a grown instance"
            );
            return;
        }
        let mut pool = self.pool.lock();
        if pool.len() < MAX_IDLE {
            pool.push(inst);
        }
    }
}
