//! Starting the Node.js `ali-ons` scripts in `tests/node/` as [`ScriptProc`]s.
//!
//! The scripts need `tests/node/node_modules` (`tests/setup.sh` runs `npm ci`); if it is missing the
//! harness runs `npm ci --no-audit --no-fund` itself once per test process.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use crate::ScriptProc;

/// `tests/node`.
pub fn node_dir() -> PathBuf {
    crate::tests_dir().join("node")
}

fn ensure_installed() {
    static DONE: OnceLock<Result<(), String>> = OnceLock::new();
    let r = DONE.get_or_init(|| {
        let dir = node_dir();
        if dir.join("node_modules/ali-ons/package.json").is_file() {
            return Ok(());
        }
        eprintln!("[e2e] tests/node/node_modules missing: running npm ci");
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&dir)
            .stdin(Stdio::null())
            .status()
            .map_err(|e| format!("running npm (is Node.js installed?): {e}"))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("npm ci failed with {status}"))
        }
    });
    if let Err(e) = r {
        panic!("ali-ons is not installed and could not be: {e} (run tests/setup.sh)");
    }
}

/// Spawns `node <script> <args>` with `WASMQ_NAMESRV=<namesrv>`.
pub fn spawn(script: &str, namesrv: &str, args: &[&str]) -> ScriptProc {
    ensure_installed();
    let mut cmd = Command::new("node");
    cmd.arg(node_dir().join(script))
        .args(args)
        .current_dir(node_dir())
        .env("WASMQ_NAMESRV", namesrv);
    ScriptProc::spawn(&format!("ali-ons {script} {}", args.join(" ")), cmd)
}
