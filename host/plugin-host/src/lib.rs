//! wasmq-plugin-host: runs the WebAssembly plugins of `wit/` (package `wasmq:plugin@0.1.0`) for the broker and nameserver.
//!
//! Map of the crate:
//! - [`PluginHost`] (this file): the API the broker calls; cheap to clone, `Send + Sync`.
//! - `hooks`: the hook calls — ingress (filter → transform → router), consumer filter,
//!   route policy, retention — and how failures are answered by each binding's policy.
//! - `registry`: the active set of plugins and bindings, rebuilt from the plugins directory
//!   on change and swapped atomically ([`arc_swap::ArcSwap`]); a background thread polls for changes.
//! - `plugin`: one loaded plugin version (compiled component, `describe`) and a binding's pool of
//!   long-lived instances; per-call fuel, memory cap, trap → instance replaced.
//! - `engine`: the wasmtime engine (`concurrency_support(false)`, fuel), linker, closed WASI,
//!   host imports (log, metrics, config), stdout/stderr into `tracing`.
//! - `wasi_sync`: WASI stream/poll bindings that never block on tokio (plugins may run on runtime threads).
//! - `cache`: compiled artifacts on disk, keyed by content hash + engine hash (the one `unsafe` module).
//! - `spec`: the bindings file (`plugins.toml`); `message`: message views and the flat batch encoder;
//!   `metrics`: per-binding counters; [`cli`]: the `wasmq plugin ...` author tools.
//!
//! Invariants: a plugin never crashes the host (every trap is caught, counted, logged and answered
//! by the binding's [`FailurePolicy`]); a plugin failure is never reported as "filtered out"
//! unless the binding's policy is `drop`; a plugin that fails to load leaves the previous version serving.
//! The crate knows nothing of the RocketMQ wire format.

mod bindings;
mod cache;
pub mod cli;
mod engine;
mod hooks;
mod message;
mod metrics;
mod plugin;
mod registry;
mod spec;
mod wasi_sync;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use arc_swap::ArcSwap;

pub use hooks::{
    BrokerData, FileInfo, FileKind, IngressOutcome, PluginFailure, QueueData, RetentionDecision,
    RouteView, Verdict,
};
pub use message::{MessageView, OwnedMessage, properties, push_property};
pub use metrics::BindingMetrics;
pub use plugin::{FailureKind, PluginDescription};
pub use registry::{LoadError, PluginStatus};
pub use spec::{BindingSpec, FailurePolicy, HookKind, glob_match, parse_bindings};

use registry::{Loader, Registry};

/// Options for [`PluginHost::open_with`].
#[derive(Debug, Clone)]
pub struct HostOptions {
    /// Where compiled components are cached; `None` disables the cache.
    /// Default: `<plugins_dir>/.cache`.
    pub cache_dir: Option<PathBuf>,
    /// How often the directory is polled for changes; `None` disables the watcher
    /// (call [`PluginHost::reload`] yourself). Default: 500 ms.
    pub poll_interval: Option<Duration>,
}

impl HostOptions {
    /// The defaults for a plugins directory.
    pub fn for_dir(plugins_dir: &Path) -> HostOptions {
        HostOptions {
            cache_dir: Some(plugins_dir.join(".cache")),
            poll_interval: Some(Duration::from_millis(500)),
        }
    }
}

/// The plugin host. Cheap to clone (`Arc` inside), `Send + Sync`.
#[derive(Debug, Clone)]
pub struct PluginHost {
    inner: Option<Arc<Inner>>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    loader: Loader,
    current: ArcSwap<Registry>,
}

impl Inner {
    /// Reloads from disk if something changed (or always with `force`); returns whether it swapped.
    pub(crate) fn reload(&self, force: bool) -> bool {
        let _guard = self.loader.reload_lock.lock();
        let current = self.current.load_full();
        if !force && !self.loader.changed(&current) {
            return false;
        }
        match self.loader.reload(&current, force) {
            Some(next) => {
                self.current.store(Arc::new(next));
                true
            }
            None => false,
        }
    }
}

impl PluginHost {
    /// Loads every `*.wasm` in `plugins_dir` and the bindings (default `<plugins_dir>/plugins.toml`),
    /// compiles them (cached in `<plugins_dir>/.cache`) and starts the directory watcher.
    /// Plugins or bindings that fail to load are reported by [`PluginHost::load_errors`], not fatal.
    pub fn open(plugins_dir: &Path, bindings_file: Option<&Path>) -> anyhow::Result<PluginHost> {
        Self::open_with(
            plugins_dir,
            bindings_file,
            HostOptions::for_dir(plugins_dir),
        )
    }

    /// [`PluginHost::open`] with explicit options.
    pub fn open_with(
        plugins_dir: &Path,
        bindings_file: Option<&Path>,
        options: HostOptions,
    ) -> anyhow::Result<PluginHost> {
        if !plugins_dir.is_dir() {
            anyhow::bail!(
                "plugins directory {} does not exist or is not a directory",
                plugins_dir.display()
            );
        }
        let runtime = Arc::new(engine::Runtime::new()?);
        let loader = Loader {
            runtime,
            dir: plugins_dir.to_path_buf(),
            bindings_file: bindings_file.map(Path::to_path_buf),
            cache_dir: options.cache_dir,
            cells: Default::default(),
            switches: Default::default(),
            reload_lock: Default::default(),
        };
        let inner = Arc::new(Inner {
            loader,
            current: ArcSwap::from_pointee(Registry::default()),
        });
        inner.reload(true);
        if let Some(interval) = options.poll_interval {
            registry::spawn_watcher(Arc::downgrade(&inner), interval)
                .context("starting the plugin watcher thread")?;
        }
        let host = PluginHost { inner: Some(inner) };
        for e in host.load_errors() {
            tracing::warn!(subject = %e.subject, cause = %e.error, "plugin load problem");
        }
        Ok(host)
    }

    /// A host without plugins: every call is a cheap no-op pass.
    pub fn disabled() -> PluginHost {
        PluginHost { inner: None }
    }

    pub(crate) fn registry(&self) -> Option<arc_swap::Guard<Arc<Registry>>> {
        self.inner.as_ref().map(|i| i.current.load())
    }

    /// Re-reads the plugins directory and bindings now; returns whether anything changed.
    pub fn reload(&self) -> bool {
        self.inner.as_ref().is_some_and(|i| i.reload(false))
    }

    /// Increases by one each time a new set of plugins/bindings goes live.
    pub fn generation(&self) -> u64 {
        self.registry().map_or(0, |r| r.generation)
    }

    /// The plugin files currently serving.
    pub fn plugins(&self) -> Vec<PluginStatus> {
        let Some(reg) = self.registry() else {
            return Vec::new();
        };
        reg.plugins
            .values()
            .map(|p| PluginStatus {
                name: p.name.clone(),
                path: p.path.clone(),
                sha256: p.sha256.clone(),
                size: p.size,
                description: p.description.clone(),
            })
            .collect()
    }

    /// The active bindings, in bindings-file order.
    pub fn bindings(&self) -> Vec<BindingSpec> {
        self.registry().map_or_else(Vec::new, |r| {
            r.bindings.iter().map(|b| b.spec.clone()).collect()
        })
    }

    /// Problems of the last (re)load: files that did not load, bindings that did not start.
    pub fn load_errors(&self) -> Vec<LoadError> {
        self.registry().map_or_else(Vec::new, |r| r.errors.clone())
    }

    /// Per-binding counters (they survive reloads of the plugin).
    pub fn metrics(&self) -> Vec<BindingMetrics> {
        let Some(reg) = self.registry() else {
            return Vec::new();
        };
        reg.bindings
            .iter()
            .map(|b| {
                b.cells.snapshot(
                    &b.spec.name,
                    &b.plugin.name,
                    &b.plugin.description.version,
                    b.spec.hook,
                    b.is_enabled(),
                )
            })
            .collect()
    }

    /// Switches a binding on or off until the bindings file changes its `enabled`.
    /// Returns false when no active binding has that name.
    pub fn set_binding_enabled(&self, binding: &str, enabled: bool) -> bool {
        let Some(reg) = self.registry() else {
            return false;
        };
        match reg.bindings.iter().find(|b| b.spec.name == binding) {
            Some(b) => {
                b.enabled
                    .store(enabled, std::sync::atomic::Ordering::Relaxed);
                true
            }
            None => false,
        }
    }
}
