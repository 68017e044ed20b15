//! The active set of plugins and bindings, how it is (re)built from the plugins directory, and the watcher.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Weak};
use std::time::{Duration, SystemTime};

use parking_lot::Mutex;
use serde::Serialize;

use crate::engine::Runtime;
use crate::metrics::BindingCells;
use crate::plugin::{BindingRuntime, LoadedPlugin, PluginDescription};
use crate::spec::{self, BindingSpec};

/// Size and modification time: a cheap "did this file change" signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FileSig {
    len: u64,
    modified: Option<SystemTime>,
}

fn sig(path: &Path) -> Option<FileSig> {
    let m = std::fs::metadata(path).ok()?;
    Some(FileSig {
        len: m.len(),
        modified: m.modified().ok(),
    })
}

/// A problem found while loading; the previous version (if any) keeps serving.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoadError {
    /// The file or binding concerned.
    pub subject: String,
    pub error: String,
}

/// A loaded plugin file, as reported by [`crate::PluginHost::plugins`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PluginStatus {
    /// File stem (the name bindings use).
    pub name: String,
    pub path: PathBuf,
    pub sha256: String,
    pub size: u64,
    pub description: PluginDescription,
}

/// One immutable snapshot; swapped whole on reload.
#[derive(Debug, Default)]
pub(crate) struct Registry {
    pub generation: u64,
    pub plugins: BTreeMap<String, Arc<LoadedPlugin>>,
    /// In bindings-file order.
    pub bindings: Vec<Arc<BindingRuntime>>,
    /// Ingress bindings: filters, then transforms, then routers (file order inside a stage).
    pub ingress: Vec<Arc<BindingRuntime>>,
    pub errors: Vec<LoadError>,
    /// Signatures of the files seen (including ones that failed to load).
    files: BTreeMap<PathBuf, FileSig>,
    bindings_sig: Option<FileSig>,
    specs: Vec<BindingSpec>,
}

/// Where plugins come from, and the state shared across reloads.
pub(crate) struct Loader {
    pub runtime: Arc<Runtime>,
    pub dir: PathBuf,
    pub bindings_file: Option<PathBuf>,
    pub cache_dir: Option<PathBuf>,
    pub cells: Mutex<HashMap<String, Arc<BindingCells>>>,
    pub switches: Mutex<HashMap<String, Arc<AtomicBool>>>,
    /// Serialises reloads (the watcher and explicit calls).
    pub reload_lock: Mutex<()>,
}

impl std::fmt::Debug for Loader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Loader")
            .field("dir", &self.dir)
            .field("bindings_file", &self.bindings_file)
            .finish_non_exhaustive()
    }
}

impl Loader {
    fn bindings_path(&self) -> PathBuf {
        self.bindings_file
            .clone()
            .unwrap_or_else(|| self.dir.join("plugins.toml"))
    }

    fn wasm_files(&self) -> BTreeMap<PathBuf, FileSig> {
        let Ok(rd) = std::fs::read_dir(&self.dir) else {
            return BTreeMap::new();
        };
        rd.filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "wasm") && p.is_file())
            .filter_map(|p| sig(&p).map(|s| (p, s)))
            .collect()
    }

    /// Whether anything on disk differs from `current` (cheap: a directory listing and stats).
    pub fn changed(&self, current: &Registry) -> bool {
        self.wasm_files() != current.files || sig(&self.bindings_path()) != current.bindings_sig
    }

    /// Builds the next registry from disk, reusing whatever did not change. `None` when nothing changed.
    pub fn reload(&self, current: &Registry, force: bool) -> Option<Registry> {
        let files = self.wasm_files();
        let bindings_sig = sig(&self.bindings_path());
        if !force && files == current.files && bindings_sig == current.bindings_sig {
            return None;
        }
        let mut errors: Vec<LoadError> = Vec::new();
        // Plugins: keep unchanged ones, load changed/new ones, keep the old version when a new one fails.
        let mut plugins = BTreeMap::new();
        for (path, s) in &files {
            let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else {
                continue;
            };
            let old = current.plugins.get(stem);
            if current.files.get(path) == Some(s) && !force {
                if let Some(old) = old {
                    plugins.insert(stem.to_string(), old.clone());
                }
                continue;
            }
            match LoadedPlugin::load(&self.runtime, path, self.cache_dir.as_deref()) {
                Ok(p) => {
                    let same = old.is_some_and(|o| o.sha256 == p.sha256);
                    if same {
                        plugins.insert(
                            stem.to_string(),
                            old.cloned().unwrap_or_else(|| Arc::new(p)),
                        );
                    } else {
                        tracing::info!(plugin = stem, version = %p.description.version, sha256 = %p.sha256, "plugin loaded");
                        plugins.insert(stem.to_string(), Arc::new(p));
                    }
                }
                Err(e) => {
                    let error = format!("{e:#}");
                    tracing::error!(file = %path.display(), cause = %error, kept_previous = old.is_some(), "plugin failed to load");
                    errors.push(LoadError {
                        subject: path.display().to_string(),
                        error,
                    });
                    if let Some(old) = old {
                        plugins.insert(stem.to_string(), old.clone());
                    }
                }
            }
        }
        for name in current.plugins.keys().filter(|n| !plugins.contains_key(*n)) {
            tracing::info!(plugin = %name, "plugin removed");
        }
        // Bindings file: keep the previous specs when it does not parse.
        let path = self.bindings_path();
        let specs = if bindings_sig.is_none() {
            Vec::new()
        } else {
            match spec::load_bindings(&path) {
                Ok(s) => s,
                Err(e) => {
                    let error = format!("{e:#}");
                    tracing::error!(file = %path.display(), cause = %error, "bindings file invalid; keeping the previous bindings");
                    errors.push(LoadError {
                        subject: path.display().to_string(),
                        error,
                    });
                    current.specs.clone()
                }
            }
        };
        let mut bindings = Vec::new();
        for spec in &specs {
            let old = current.bindings.iter().find(|b| b.spec.name == spec.name);
            let Some(plugin) = plugins.get(&spec.plugin) else {
                let error = format!("plugin `{}` is not in {}", spec.plugin, self.dir.display());
                tracing::warn!(binding = %spec.name, cause = %error, "binding inactive");
                errors.push(LoadError {
                    subject: format!("binding {}", spec.name),
                    error,
                });
                continue;
            };
            if let Some(old) = old
                && Arc::ptr_eq(&old.plugin, plugin)
                && old.spec == *spec
            {
                bindings.push(old.clone());
                continue;
            }
            let cells = self
                .cells
                .lock()
                .entry(spec.name.clone())
                .or_default()
                .clone();
            let switch = self
                .switches
                .lock()
                .entry(spec.name.clone())
                .or_insert_with(|| Arc::new(AtomicBool::new(spec.enabled)))
                .clone();
            if old.is_none_or(|o| o.spec.enabled != spec.enabled) {
                switch.store(spec.enabled, std::sync::atomic::Ordering::Relaxed);
            }
            match BindingRuntime::new(
                self.runtime.clone(),
                spec.clone(),
                plugin.clone(),
                cells,
                switch,
            ) {
                Ok(b) => bindings.push(Arc::new(b)),
                Err(e) => {
                    let error = format!("{e:#}");
                    tracing::error!(binding = %spec.name, cause = %error, kept_previous = old.is_some(), "binding failed to start");
                    errors.push(LoadError {
                        subject: format!("binding {}", spec.name),
                        error,
                    });
                    if let Some(old) = old {
                        bindings.push(old.clone());
                    }
                }
            }
        }
        let mut ingress: Vec<_> = bindings
            .iter()
            .filter(|b| b.spec.hook.ingress_stage().is_some())
            .cloned()
            .collect();
        ingress.sort_by_key(|b| b.spec.hook.ingress_stage());
        Some(Registry {
            generation: current.generation + 1,
            plugins,
            bindings,
            ingress,
            errors,
            files,
            bindings_sig,
            specs,
        })
    }
}

/// Polls the plugins directory every `interval` until `host` is dropped.
pub(crate) fn spawn_watcher(host: Weak<crate::Inner>, interval: Duration) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("wasmq-plugin-watch".into())
        .spawn(move || {
            loop {
                std::thread::sleep(interval);
                let Some(inner) = host.upgrade() else { break };
                inner.reload(false);
            }
            tracing::debug!("plugin watcher stopped");
        })?;
    Ok(())
}
