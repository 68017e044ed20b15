//! Shared test helpers: locate (or build) the plugin components and set up a plugins directory.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use wasmq_plugin_host::{HostOptions, PluginHost};

/// The directory holding the built plugins: `$WASMQ_PLUGIN_DIST`, or `plugins/dist`, which is
/// built with `scripts/build-plugins.sh` on first use when a component is missing.
pub fn dist() -> &'static Path {
    static DIST: OnceLock<PathBuf> = OnceLock::new();
    DIST.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let dist = std::env::var_os("WASMQ_PLUGIN_DIST")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join("plugins/dist"));
        let wanted = [
            "tag-filter",
            "json-filter",
            "pii-redact",
            "key-router",
            "route-policy",
            "retention-policy",
            "sql92-filter",
            "fixture-trap",
            "fixture-spin",
            "fixture-memory-hog",
            "fixture-escape",
            "fixture-keep-all",
        ];
        if wanted
            .iter()
            .any(|w| !dist.join(format!("{w}.wasm")).exists())
        {
            let status = std::process::Command::new("bash")
                .arg(root.join("scripts/build-plugins.sh"))
                .arg(&dist)
                .status()
                .expect("running scripts/build-plugins.sh");
            assert!(status.success(), "scripts/build-plugins.sh failed");
        }
        dist
    })
}

/// Path of a built plugin.
pub fn wasm(name: &str) -> PathBuf {
    dist().join(format!("{name}.wasm"))
}

/// Cache shared by all tests (compiling with a debug-built Cranelift is slow).
pub fn cache_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("plugin-cache")
}

/// A temporary plugins directory with `plugins` copied in (as `(built name, file stem)`) and `toml` as plugins.toml.
pub fn plugins_dir(plugins: &[(&str, &str)], toml: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (src, stem) in plugins {
        std::fs::copy(wasm(src), dir.path().join(format!("{stem}.wasm"))).expect("copy plugin");
    }
    std::fs::write(dir.path().join("plugins.toml"), toml).expect("write plugins.toml");
    dir
}

/// Opens a host over `dir`; `poll` = watcher interval (None: no watcher).
pub fn open(dir: &Path, poll: Option<Duration>) -> PluginHost {
    let host = PluginHost::open_with(
        dir,
        None,
        HostOptions {
            cache_dir: Some(cache_dir()),
            poll_interval: poll,
        },
    )
    .expect("open host");
    assert!(
        host.load_errors().is_empty(),
        "load errors: {:?}",
        host.load_errors()
    );
    host
}

/// Replaces a file atomically (write to a temporary name, then rename), as operators should.
pub fn replace_file(path: &Path, bytes: &[u8]) {
    let tmp = path.with_extension("tmp-upload");
    std::fs::write(&tmp, bytes).expect("write temp");
    std::fs::rename(&tmp, path).expect("rename");
}

/// Waits until `cond` holds, polling, or panics after `deadline`.
pub fn wait_for(what: &str, deadline: Duration, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < deadline,
            "timed out after {deadline:?} waiting for {what}"
        );
        std::thread::yield_now();
        std::thread::park_timeout(Duration::from_millis(5));
    }
}
