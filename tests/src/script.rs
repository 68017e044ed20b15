//! [`ScriptProc`]: a client child process that reports as JSON lines on stdout.
//!
//! A reader thread forwards stdout lines over a channel, so the test can wait for a specific event
//! with a deadline while the client keeps running (e.g. "both consumers have their queues"). The
//! child's stderr goes to a temp file that is printed only when the test fails.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::Value;
use tempfile::TempDir;

#[derive(Debug)]
enum Line {
    Json(Value),
    Text(String),
    Eof,
}

/// A running client process (see the module doc).
#[derive(Debug)]
pub struct ScriptProc {
    name: String,
    child: Option<Child>,
    rx: Receiver<Line>,
    dir: TempDir,
    events: Vec<Value>,
    text: Vec<String>,
    eof: bool,
}

impl ScriptProc {
    /// Spawns `cmd` (stdin closed, stdout piped, stderr to a temp file). `name` labels failure output.
    pub fn spawn(name: &str, mut cmd: Command) -> ScriptProc {
        let dir = tempfile::Builder::new()
            .prefix("wasmq-e2e-client-")
            .tempdir()
            .expect("temp dir for client logs");
        let stderr = std::fs::File::create(dir.path().join("stderr.log")).expect("stderr file");
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr);
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("spawn client {name} ({cmd:?}): {e}"));
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let msg = match serde_json::from_str::<Value>(&line) {
                    Ok(v) if v.is_object() => Line::Json(v),
                    _ => Line::Text(line),
                };
                if tx.send(msg).is_err() {
                    return;
                }
            }
            let _ = tx.send(Line::Eof);
        });
        ScriptProc {
            name: name.to_string(),
            child: Some(child),
            rx,
            dir,
            events: Vec::new(),
            text: Vec::new(),
            eof: false,
        }
    }

    /// Every JSON event received so far, in order.
    pub fn events(&self) -> &[Value] {
        &self.events
    }

    /// Events received so far whose `"event"` field equals `kind`.
    pub fn events_of(&self, kind: &str) -> Vec<Value> {
        self.events
            .iter()
            .filter(|e| e["event"] == kind)
            .cloned()
            .collect()
    }

    /// Next JSON event, or `None` on timeout or end of output.
    pub fn next_event(&mut self, timeout: Duration) -> Option<Value> {
        let deadline = Instant::now() + timeout;
        while !self.eof {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(Line::Json(v)) => {
                    self.events.push(v.clone());
                    return Some(v);
                }
                Ok(Line::Text(t)) => self.text.push(t),
                Ok(Line::Eof) | Err(RecvTimeoutError::Disconnected) => self.eof = true,
                Err(RecvTimeoutError::Timeout) => return None,
            }
        }
        None
    }

    /// Reads events until one satisfies `pred`; panics (printing the client's stderr) on timeout/exit.
    pub fn wait_for(
        &mut self,
        timeout: Duration,
        what: &str,
        pred: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next_event(left) {
                Some(v) if pred(&v) => return v,
                Some(v) if v["event"] == "error" => {
                    panic!(
                        "{}: client reported an error while waiting for {what}: {v}",
                        self.name
                    )
                }
                Some(_) => {}
                None if self.eof => panic!("{}: exited before {what}", self.name),
                None => panic!("{}: no {what} within {timeout:?}", self.name),
            }
        }
    }

    /// Waits for the client to exit by itself (reading all output); panics on timeout.
    pub fn finish(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        while !self.eof {
            let left = deadline.saturating_duration_since(Instant::now());
            if self.next_event(left).is_none() && !self.eof {
                panic!("{}: did not finish within {timeout:?}", self.name);
            }
        }
        let child = self.child.as_mut().expect("child present");
        let left = deadline.saturating_duration_since(Instant::now()) + Duration::from_secs(2);
        crate::wait_until(left, || child.try_wait().ok().flatten())
            .unwrap_or_else(|| panic!("{}: closed stdout but did not exit", self.name))
    }

    /// Like [`finish`](Self::finish) but panics unless the exit status is 0.
    pub fn finish_ok(&mut self, timeout: Duration) {
        let status = self.finish(timeout);
        assert!(status.success(), "{}: exited with {status}", self.name);
    }

    /// Asks the client to stop (SIGTERM: it closes its RocketMQ client, committing offsets), then
    /// waits for it like [`finish_ok`](Self::finish_ok).
    pub fn terminate(&mut self, timeout: Duration) {
        if let Some(child) = self.child.as_ref()
            && let Ok(pid) = i32::try_from(child.id())
        {
            let _ = kill(Pid::from_raw(pid), Signal::SIGTERM);
        }
        self.finish_ok(timeout);
    }

    /// The client's stderr so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(self.stderr_path()).unwrap_or_default()
    }

    fn stderr_path(&self) -> PathBuf {
        self.dir.path().join("stderr.log")
    }
}

impl Drop for ScriptProc {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if std::thread::panicking() {
            let err = self.stderr();
            let tail = tail_str(&err, 64 * 1024);
            eprintln!(
                "===== client {} stderr (last {} bytes) =====\n{tail}",
                self.name,
                tail.len()
            );
            if !self.text.is_empty() {
                eprintln!(
                    "===== client {} non-JSON stdout =====\n{}",
                    self.name,
                    self.text.join("\n")
                );
            }
            let last = &self.events[self.events.len().saturating_sub(5)..];
            let last: Vec<String> = last.iter().map(Value::to_string).collect();
            eprintln!(
                "===== client {}: {} JSON events received, the last ones: =====\n{}",
                self.name,
                self.events.len(),
                last.join("\n")
            );
        }
    }
}

/// The last `max` bytes of `s` (or a little less, to stay on a char boundary).
pub fn tail_str(s: &str, max: usize) -> &str {
    let mut start = s.len().saturating_sub(max);
    while !s.is_char_boundary(start) {
        start += 1;
    }
    &s[start..]
}
