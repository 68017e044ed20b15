//! End-to-end test harness: runs the real `wasmq` binary and drives it with real RocketMQ clients.
//!
//! Map of the crate:
//! - [`binary`]: finds (and if needed builds) the `wasmq` executable (`WASMQ_BIN` or `cargo build -p wasmq`).
//! - [`server`]: [`TestBroker`], one `wasmq standalone` process in a temp store dir, started on port 0,
//!   ready when it writes its ready file; `stop()` (SIGTERM), `kill9()`, `restart()` on the same store
//!   and ports. The child's stderr is printed only when the test fails.
//! - [`script`]: [`ScriptProc`], a client child process (Node `ali-ons` script or the
//!   `rocketmq-client-rust` driver) whose stdout is a stream of JSON lines read with deadlines.
//! - [`node`] / [`rust_client`]: how to start those two clients.
//! - [`plugins`]: [`plugins::PluginDir`], a temp plugins directory (`--plugins`) with example
//!   components from `plugins/dist/` and a `plugins.toml`.
//! - [`wire`]: hand-made RocketMQ frames over a raw `TcpStream` (independent of `wasmq_protocol`), for
//!   malformed-input tests and liveness probes.
//! - [`clients`]: [`Client`], the same scenario against either real client.
//! - [`check`]: comparisons of what was sent with what was received.
//!
//! Invariants: no sleeps as synchronisation (every wait polls a condition against a deadline), every
//! child process is killed on drop, and every test uses its own store dir and ephemeral ports.

pub mod binary;
pub mod check;
pub mod clients;
pub mod node;
pub mod plugins;
pub mod rust_client;
pub mod script;
pub mod server;
pub mod wire;

pub use clients::{Client, ConsumeArgs};
pub use script::ScriptProc;
pub use server::{BrokerOpts, Role, TestBroker};

use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Root of the cargo workspace (`/work/main`), i.e. the parent of this crate's directory.
pub fn workspace_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}

/// Directory of this crate (`<workspace>/tests`).
pub fn tests_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Polls `cond` every 20 ms until it returns `Some` or `timeout` elapses.
///
/// This is a condition wait with a deadline, not a sleep: it returns as soon as the condition holds.
pub fn wait_until<T>(timeout: Duration, mut cond: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = cond() {
            return Some(v);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A name unique within this machine for topics/groups, e.g. `e2e_tags_4242_1`.
pub fn unique_name(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static SEQ: AtomicU32 = AtomicU32::new(0);
    let n = SEQ.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{prefix}_{}_{n}_{nanos:x}", std::process::id())
}
