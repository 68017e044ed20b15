//! Locates the `wasmq` executable under test.
//!
//! `env!("CARGO_BIN_EXE_wasmq")` only exists inside the `wasmq` package, so:
//! 1. if `WASMQ_BIN` is set, that file is used as is (the Makefile sets it after `cargo build -p wasmq`);
//! 2. otherwise the harness runs `cargo build -p wasmq --message-format=json` once per test process
//!    (a no-op when up to date; cargo does not hold its build lock while tests run) and uses the
//!    executable cargo reports. The target dir is cargo's usual one: `CARGO_TARGET_DIR` if set, else
//!    `<workspace>/target`, so the binary is `<target>/debug/wasmq`.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// Path of the `wasmq` binary, building it first if needed. Panics with the cargo output on failure.
pub fn wasmq_bin() -> PathBuf {
    static BIN: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match BIN.get_or_init(resolve) {
        Ok(p) => p.clone(),
        Err(e) => panic!("cannot find or build the wasmq binary: {e}"),
    }
}

fn resolve() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("WASMQ_BIN") {
        let p = PathBuf::from(p);
        return if p.is_file() {
            Ok(p)
        } else {
            Err(format!("WASMQ_BIN={} is not a file", p.display()))
        };
    }
    build_with_cargo()
}

fn build_with_cargo() -> Result<PathBuf, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let root = crate::workspace_root();
    eprintln!("[e2e] building wasmq: {cargo} build -p wasmq (set WASMQ_BIN to skip)");
    let out = Command::new(&cargo)
        .args([
            "build",
            "-p",
            "wasmq",
            "--message-format=json-render-diagnostics",
        ])
        .current_dir(&root)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("running {cargo}: {e}"))?;
    if !out.status.success() {
        return Err(format!("`cargo build -p wasmq` failed with {}", out.status));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["reason"] == "compiler-artifact" && v["target"]["name"] == "wasmq")
        .find_map(|v| v["executable"].as_str().map(PathBuf::from))
        .ok_or_else(|| {
            "cargo reported no `wasmq` executable (is host/wasmq a bin crate?)".to_string()
        })
}
