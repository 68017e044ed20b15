//! [`TestBroker`]: one real `wasmq` server process for a test: `standalone` (nameserver + broker,
//! the default), or a separate `namesrv` / `broker -n ADDR` (see [`Role`]).
//!
//! Started with a temp store dir and port 0 for both listeners; readiness is the ready file the
//! process writes atomically (`--ready-file`), awaited with a deadline. Restarts reuse the store dir
//! and the ports first bound, so clients started afterwards find the same addresses. The child's
//! stderr goes to a file per generation and is printed only if the test panics (like iggy's
//! `TestServer`).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde::Deserialize;
use tempfile::TempDir;

/// How long a start or restart may take before the test fails.
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a SIGTERM shutdown may take before the test fails.
const STOP_TIMEOUT: Duration = Duration::from_secs(15);

/// Which `wasmq` subcommand a [`TestBroker`] runs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Role {
    /// `wasmq standalone`: nameserver and broker in one process.
    #[default]
    Standalone,
    /// `wasmq namesrv`.
    Namesrv,
    /// `wasmq broker -n <namesrv addresses>`.
    Broker {
        /// `host:port;host:port` of the nameservers to register with.
        namesrv: String,
    },
}

/// Options for [`TestBroker::start`].
#[derive(Clone, Debug, Default)]
pub struct BrokerOpts {
    /// The subcommand (default `standalone`).
    pub role: Role,
    /// `flushDiskType=SYNC_FLUSH` (a SEND_OK then means the message is on disk).
    pub sync_flush: bool,
    /// Extra `--set key=value` overrides, applied after the harness's own.
    pub sets: Vec<(String, String)>,
    /// `--plugins DIR`.
    pub plugins: Option<PathBuf>,
    /// `--set pluginsBindings=FILE` (default: the broker reads `DIR/plugins.toml`).
    pub bindings: Option<PathBuf>,
}

impl BrokerOpts {
    /// Default options: ASYNC_FLUSH, no plugins, no overrides.
    pub fn new() -> Self {
        Self::default()
    }

    /// Enables `flushDiskType=SYNC_FLUSH`.
    pub fn sync_flush(mut self) -> Self {
        self.sync_flush = true;
        self
    }

    /// Runs `wasmq namesrv` instead of `standalone`.
    pub fn namesrv() -> Self {
        BrokerOpts {
            role: Role::Namesrv,
            ..Self::default()
        }
    }

    /// Runs `wasmq broker -n <namesrv>` instead of `standalone`.
    pub fn broker(namesrv: &str) -> Self {
        BrokerOpts {
            role: Role::Broker {
                namesrv: namesrv.to_string(),
            },
            ..Self::default()
        }
    }

    /// Runs with `--plugins dir`.
    pub fn plugins_dir(mut self, dir: &Path) -> Self {
        self.plugins = Some(dir.to_path_buf());
        self
    }

    /// Runs with `--set pluginsBindings=file`.
    pub fn bindings(mut self, file: &Path) -> Self {
        self.bindings = Some(file.to_path_buf());
        self
    }

    /// Adds a `--set key=value` override.
    pub fn set(mut self, key: &str, value: &str) -> Self {
        self.sets.push((key.to_string(), value.to_string()));
        self
    }
}

/// The JSON the process writes to its ready file.
#[derive(Clone, Debug, Deserialize)]
pub struct Ready {
    /// `host:port` of the nameserver, when this process runs one.
    pub namesrv: Option<String>,
    /// `host:port` of the broker, when this process runs one.
    pub broker: Option<String>,
}

/// A running (or stopped, restartable) `wasmq` server process.
#[derive(Debug)]
pub struct TestBroker {
    bin: PathBuf,
    opts: BrokerOpts,
    dir: TempDir,
    child: Option<Child>,
    generation: u32,
    ready: Ready,
}

impl TestBroker {
    /// Spawns `wasmq <role>` on ephemeral ports with a fresh store and waits until it is ready.
    pub fn start(opts: BrokerOpts) -> TestBroker {
        let dir = tempfile::Builder::new()
            .prefix("wasmq-e2e-")
            .tempdir()
            .expect("create temp dir for the broker");
        let mut tb = TestBroker {
            bin: crate::binary::wasmq_bin(),
            opts,
            dir,
            child: None,
            generation: 0,
            ready: Ready {
                namesrv: None,
                broker: None,
            },
        };
        tb.spawn(None);
        tb
    }

    /// `host:port` of the nameserver.
    pub fn namesrv_addr(&self) -> String {
        self.ready
            .namesrv
            .clone()
            .expect("ready file has a namesrv address")
    }

    /// `host:port` of the broker.
    pub fn broker_addr(&self) -> String {
        self.ready
            .broker
            .clone()
            .expect("ready file has a broker address")
    }

    /// The store root (`storePathRootDir`), kept across restarts.
    pub fn store_dir(&self) -> PathBuf {
        self.dir.path().join("store")
    }

    /// PID of the current process, if running.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Whether the current process is still alive.
    pub fn is_running(&mut self) -> bool {
        match self.child.as_mut() {
            Some(c) => matches!(c.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// Path of the stdout capture of the current generation.
    pub fn stdout_path(&self) -> PathBuf {
        self.dir
            .path()
            .join(format!("stdout-{}.log", self.generation))
    }

    /// Path of the ready file of the current generation.
    pub fn ready_path(&self) -> PathBuf {
        self.dir
            .path()
            .join(format!("ready-{}.json", self.generation))
    }

    /// Crash: SIGKILL and reap. The store is left as the crash left it.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Clean shutdown: SIGTERM, then wait; panics if it does not exit 0 within the deadline.
    pub fn stop(&mut self) {
        let status = self.terminate();
        assert!(
            status.success(),
            "wasmq exited with {status} after SIGTERM (expected 0)"
        );
    }

    /// SIGTERM and wait for exit, returning the status; panics (after SIGKILL) on timeout.
    pub fn terminate(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("terminate: broker is not running");
        let pid = Pid::from_raw(i32::try_from(child.id()).expect("pid fits i32"));
        kill(pid, Signal::SIGTERM).expect("send SIGTERM to wasmq");
        let status = crate::wait_until(STOP_TIMEOUT, || child.try_wait().ok().flatten());
        match status {
            Some(s) => s,
            None => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("wasmq did not exit within {STOP_TIMEOUT:?} of SIGTERM");
            }
        }
    }

    /// Starts the process again on the same store dir and the same ports. It must be stopped.
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "restart: stop() or kill9() first");
        let ports = (self.ready.namesrv.clone(), self.ready.broker.clone());
        self.generation += 1;
        self.spawn(Some(ports));
    }

    fn spawn(&mut self, fixed: Option<(Option<String>, Option<String>)>) {
        let port = |a: Option<&Option<String>>| {
            a.and_then(|a| a.as_deref())
                .map(port_of)
                .unwrap_or_else(|| "0".to_string())
        };
        let ns_port = port(fixed.as_ref().map(|f| &f.0));
        let broker_port = port(fixed.as_ref().map(|f| &f.1));
        // Keep the nameserver's KV file inside the test dir, not in ~/namesrv.
        let kv = self
            .dir
            .path()
            .join("namesrv/kvConfig.json")
            .display()
            .to_string();
        let store = self.store_dir().display().to_string();
        let mut sets: Vec<(String, String)> = match &self.opts.role {
            Role::Standalone => vec![
                ("storePathRootDir".into(), store),
                ("namesrvListenPort".into(), ns_port),
                ("listenPort".into(), broker_port),
                ("brokerIP1".into(), "127.0.0.1".into()),
                ("kvConfigPath".into(), kv),
            ],
            Role::Namesrv => vec![("listenPort".into(), ns_port), ("kvConfigPath".into(), kv)],
            Role::Broker { .. } => vec![
                ("storePathRootDir".into(), store),
                ("listenPort".into(), broker_port),
                ("brokerIP1".into(), "127.0.0.1".into()),
            ],
        };
        if self.opts.role != Role::Namesrv {
            // Development machines often run above the 90 % default, where the store refuses every
            // put; tests are not about a full disk (a test may still override these).
            sets.push(("diskSpaceWarningLevelRatio".into(), "99".into()));
            sets.push(("diskSpaceCleanForciblyRatio".into(), "99".into()));
        }
        if self.opts.sync_flush {
            sets.push(("flushDiskType".into(), "SYNC_FLUSH".into()));
        }
        if let Some(b) = &self.opts.bindings {
            sets.push(("pluginsBindings".into(), b.display().to_string()));
        }
        sets.extend(self.opts.sets.iter().cloned());

        let mut cmd = Command::new(&self.bin);
        match &self.opts.role {
            Role::Standalone => cmd.arg("standalone"),
            Role::Namesrv => cmd.arg("namesrv"),
            Role::Broker { namesrv } => cmd.arg("broker").arg("-n").arg(namesrv),
        };
        for (k, v) in &sets {
            cmd.arg("--set").arg(format!("{k}={v}"));
        }
        if let Some(p) = &self.opts.plugins {
            cmd.arg("--plugins").arg(p);
        }
        let ready_path = self.ready_path();
        cmd.arg("--ready-file").arg(&ready_path);
        let stdout = File::create(self.stdout_path()).expect("create stdout capture");
        let stderr =
            File::create(self.stderr_path(self.generation)).expect("create stderr capture");
        cmd.stdin(Stdio::null()).stdout(stdout).stderr(stderr);
        cmd.env(
            "RUST_LOG",
            std::env::var("WASMQ_E2E_LOG").unwrap_or_else(|_| "info".into()),
        );
        cmd.env("NO_COLOR", "1").env("HOME", self.dir.path());
        cmd.current_dir(self.dir.path());
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {}: {e}", self.bin.display()));
        self.child = Some(child);
        self.ready = self.wait_ready(&ready_path);
        if let Some((ns, b)) = fixed {
            assert_eq!(
                self.ready.namesrv, ns,
                "namesrv came back on another address"
            );
            assert_eq!(self.ready.broker, b, "broker came back on another address");
        }
    }

    fn wait_ready(&mut self, path: &Path) -> Ready {
        let child = self.child.as_mut().expect("child just spawned");
        let mut exited = None;
        let ready = crate::wait_until(READY_TIMEOUT, || {
            if let Ok(Some(status)) = child.try_wait() {
                exited = Some(status);
                return Some(None);
            }
            let text = std::fs::read_to_string(path).ok()?;
            Some(Some(text))
        });
        let text = match (ready, exited) {
            (_, Some(status)) => panic!("wasmq exited with {status} before it was ready"),
            (None, _) => panic!(
                "wasmq was not ready within {READY_TIMEOUT:?} (no {})",
                path.display()
            ),
            (Some(None), None) => unreachable!("child exit is recorded"),
            (Some(Some(text)), None) => text,
        };
        let ready: Ready = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("ready file is not the documented JSON ({e}): {text:?}"));
        let role = &self.opts.role;
        let want_ns = !matches!(role, Role::Broker { .. });
        let want_broker = *role != Role::Namesrv;
        assert_eq!(
            ready.namesrv.is_some(),
            want_ns,
            "{role:?}: \"namesrv\" key in ready file {text}"
        );
        assert_eq!(
            ready.broker.is_some(),
            want_broker,
            "{role:?}: \"broker\" key in ready file {text}"
        );
        ready
    }

    fn stderr_path(&self, generation: u32) -> PathBuf {
        self.dir.path().join(format!("stderr-{generation}.log"))
    }

    /// The stderr of the current generation so far (the server's log).
    pub fn log(&self) -> String {
        let text = std::fs::read(self.stderr_path(self.generation)).unwrap_or_default();
        String::from_utf8_lossy(&text).into_owned()
    }

    /// Prints the stderr of every generation (used when the test fails).
    pub fn dump_logs(&self) {
        for g in 0..=self.generation {
            let text = std::fs::read(self.stderr_path(g)).unwrap_or_default();
            let tail = &text[text.len().saturating_sub(256 * 1024)..];
            eprintln!(
                "===== wasmq stderr, generation {g} (last {} bytes) =====\n{}",
                tail.len(),
                String::from_utf8_lossy(tail)
            );
        }
    }
}

fn port_of(addr: &str) -> String {
    addr.rsplit(':').next().unwrap_or("0").to_string()
}

impl Drop for TestBroker {
    fn drop(&mut self) {
        self.kill9();
        if std::thread::panicking() {
            self.dump_logs();
        }
    }
}
