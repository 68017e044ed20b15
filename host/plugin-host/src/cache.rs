//! On-disk cache of compiled components, keyed by content hash and engine compatibility hash.
//!
//! This is the only module allowed to use `unsafe`: `Component::deserialize_file` trusts its input.
#![allow(unsafe_code)]

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use anyhow::Context;
use wasmtime::Engine;

use crate::engine::WasmtimeResultExt;
use wasmtime::component::Component;

/// A short hex digest of the engine's compilation settings: artifacts from another
/// wasmtime version or configuration get another file name and are never loaded.
pub(crate) fn engine_hash(engine: &Engine) -> String {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut h);
    format!("{:016x}", h.finish())
}

/// The cache file for a component with SHA-256 `sha256` under `dir`.
pub(crate) fn cache_path(dir: &Path, sha256: &str, engine: &Engine) -> PathBuf {
    dir.join(format!("{sha256}-{}.cwasm", engine_hash(engine)))
}

/// Compiles `bytes`, or loads the compiled artifact cached under `cache_dir`.
pub(crate) fn compile(
    engine: &Engine,
    bytes: &[u8],
    sha256: &str,
    cache_dir: Option<&Path>,
) -> anyhow::Result<Component> {
    let Some(dir) = cache_dir else {
        return Component::new(engine, bytes)
            .ah()
            .context("compiling component");
    };
    let path = cache_path(dir, sha256, engine);
    if path.exists() {
        // SAFETY: `deserialize_file` requires a file produced by `Component::serialize` of a
        // compatible engine and not modified since. Only this function writes into the cache
        // directory (the broker's own, not the plugins directory users drop files into); files are
        // written to a temporary name and renamed into place, and the name carries both the
        // SHA-256 of the source component and the engine compatibility hash, so a file with this
        // name is a complete artifact of exactly this component for this engine configuration.
        match unsafe { Component::deserialize_file(engine, &path) } {
            Ok(c) => {
                tracing::debug!(path = %path.display(), "loaded compiled component from cache");
                return Ok(c);
            }
            Err(e) => {
                tracing::warn!(path = %path.display(), cause = %e, "discarding unusable cache entry");
                let _ = std::fs::remove_file(&path);
            }
        }
    }
    let component = Component::new(engine, bytes)
        .ah()
        .context("compiling component")?;
    let store = || -> anyhow::Result<()> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating cache directory {}", dir.display()))?;
        static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tmp = dir.join(format!(".{sha256}.{}.{seq}.tmp", std::process::id()));
        std::fs::write(&tmp, component.serialize()?)
            .with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, &path)
            .with_context(|| format!("renaming into {}", path.display()))?;
        Ok(())
    };
    if let Err(e) = store() {
        tracing::warn!(cause = %format!("{e:#}"), "could not cache compiled component; continuing without");
    }
    Ok(component)
}
