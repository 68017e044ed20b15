//! Starting the `rocketmq-client-rust` driver (`tests/rust-client`, its own cargo workspace) as a
//! [`ScriptProc`].
//!
//! The driver is built once per test process with `cargo build --manifest-path
//! tests/rust-client/Cargo.toml` into `<target>/rust-client` (`<target>` = `CARGO_TARGET_DIR` or
//! `<workspace>/target`), unless `WASMQ_RUST_CLIENT_BIN` points at a built driver. Its dependency
//! tree is large (about 2.5 minutes of a cold build on 2 cores); `tests/setup.sh` builds it ahead.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use crate::ScriptProc;

/// Target dir used for the driver when `WASMQ_RUST_CLIENT_BIN` is not set.
pub fn target_dir() -> PathBuf {
    let base = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::workspace_root().join("target"));
    base.join("rust-client")
}

/// Path of the driver binary, building it if needed.
pub fn driver_bin() -> PathBuf {
    static BIN: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let r = BIN.get_or_init(|| {
        if let Some(p) = std::env::var_os("WASMQ_RUST_CLIENT_BIN") {
            return Ok(PathBuf::from(p));
        }
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
        let manifest = crate::tests_dir().join("rust-client/Cargo.toml");
        eprintln!(
            "[e2e] building the rocketmq-client-rust driver ({})",
            manifest.display()
        );
        let status = Command::new(&cargo)
            .arg("build")
            .arg("--manifest-path")
            .arg(&manifest)
            .arg("--target-dir")
            .arg(target_dir())
            .stdin(Stdio::null())
            .status()
            .map_err(|e| format!("running {cargo}: {e}"))?;
        if !status.success() {
            return Err(format!("building tests/rust-client failed with {status}"));
        }
        Ok(target_dir().join("debug/wasmq-rust-client"))
    });
    match r {
        Ok(p) => p.clone(),
        Err(e) => panic!("rocketmq-client-rust driver unavailable: {e}"),
    }
}

/// Spawns `wasmq-rust-client <args>` with `WASMQ_NAMESRV=<namesrv>`.
pub fn spawn(namesrv: &str, args: &[&str]) -> ScriptProc {
    let mut cmd = Command::new(driver_bin());
    cmd.args(args).env("WASMQ_NAMESRV", namesrv).env(
        "RUST_LOG",
        std::env::var("WASMQ_E2E_CLIENT_LOG").unwrap_or_else(|_| "warn".into()),
    );
    ScriptProc::spawn(&format!("rocketmq-client-rust {}", args.join(" ")), cmd)
}
