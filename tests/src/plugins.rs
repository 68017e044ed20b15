//! [`PluginDir`]: a temp plugins directory for a broker under test (`--plugins DIR`): example
//! components copied from `<workspace>/plugins/dist/`, a `plugins.toml`, atomic replacements.
//!
//! The components are built by `scripts/build-plugins.sh plugins/dist` (run once here when a needed
//! file is missing). The broker caches compiled components in `<dir>/.cache`; that is a symlink to
//! one cache shared by all tests of this machine (entries are written to a temp name and renamed,
//! so concurrent brokers can share it), which saves the 1-4 s compile of a debug build.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use tempfile::TempDir;

/// `<workspace>/plugins/dist`.
pub fn dist_dir() -> PathBuf {
    crate::workspace_root().join("plugins/dist")
}

/// The built component `<dist>/<name>.wasm`, building the examples once if it is missing.
pub fn dist_component(name: &str) -> PathBuf {
    let path = dist_dir().join(format!("{name}.wasm"));
    if !path.is_file() {
        static BUILT: OnceLock<Result<(), String>> = OnceLock::new();
        let r = BUILT.get_or_init(|| {
            let root = crate::workspace_root();
            let status = Command::new(root.join("scripts/build-plugins.sh"))
                .arg(dist_dir())
                .current_dir(&root)
                .status()
                .map_err(|e| format!("running scripts/build-plugins.sh: {e}"))?;
            if status.success() {
                Ok(())
            } else {
                Err(format!("scripts/build-plugins.sh exited with {status}"))
            }
        });
        if let Err(e) = r {
            panic!("plugin components are missing and could not be built: {e}");
        }
    }
    assert!(path.is_file(), "no component {}", path.display());
    path
}

/// A plugins directory for one test (see the module doc).
#[derive(Debug)]
pub struct PluginDir {
    dir: TempDir,
}

impl Default for PluginDir {
    fn default() -> Self {
        Self::new()
    }
}

impl PluginDir {
    /// An empty plugins directory whose `.cache` is the shared compile cache.
    pub fn new() -> PluginDir {
        let dir = tempfile::Builder::new()
            .prefix("wasmq-e2e-plugins-")
            .tempdir()
            .expect("create temp plugins dir");
        let shared = std::env::temp_dir().join("wasmq-e2e-plugin-cache");
        std::fs::create_dir_all(&shared).expect("create the shared plugin compile cache");
        std::os::unix::fs::symlink(&shared, dir.path().join(".cache"))
            .expect("link the shared plugin compile cache");
        PluginDir { dir }
    }

    /// The directory (pass to `--plugins`).
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Copies `<dist>/<name>.wasm` into the directory under the same name.
    pub fn add(&self, name: &str) -> &Self {
        self.install(name, name);
        self
    }

    /// Installs `<dist>/<component>.wasm` as `<name>.wasm`, atomically (temp name, then rename), as
    /// an operator replacing a plugin would.
    pub fn install(&self, name: &str, component: &str) {
        let tmp = self.path().join(format!(".{name}.wasm.tmp"));
        std::fs::copy(dist_component(component), &tmp)
            .unwrap_or_else(|e| panic!("copy {component}.wasm into the plugins dir: {e}"));
        std::fs::rename(&tmp, self.path().join(format!("{name}.wasm")))
            .unwrap_or_else(|e| panic!("rename {component}.wasm into place as {name}.wasm: {e}"));
    }

    /// Writes `plugins.toml` (atomically) with `toml` as its text.
    pub fn bindings(&self, toml: &str) -> &Self {
        let tmp = self.path().join(".plugins.toml.tmp");
        std::fs::write(&tmp, toml).expect("write bindings");
        std::fs::rename(&tmp, self.bindings_path()).expect("rename bindings into place");
        self
    }

    /// `<dir>/plugins.toml`.
    pub fn bindings_path(&self) -> PathBuf {
        self.path().join("plugins.toml")
    }
}
