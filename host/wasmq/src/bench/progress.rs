//! The progress line on stderr while a measurement runs (once a second).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Shared counters of one measurement; a background task prints them.
#[derive(Debug, Default)]
pub struct Progress {
    /// Messages sent and answered (or handed to the socket, for oneway).
    pub sent: AtomicU64,
    /// Messages consumed.
    pub consumed: AtomicU64,
}

/// Prints progress until dropped.
#[derive(Debug)]
pub struct Printer(tokio::task::JoinHandle<()>);

impl Drop for Printer {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Progress {
    /// Starts printing `label: N sent (R/s) M consumed` every second; `quiet` prints nothing.
    pub fn print(self: &Arc<Self>, label: String, quiet: bool) -> Printer {
        let me = Arc::clone(self);
        Printer(tokio::spawn(async move {
            if quiet {
                return;
            }
            let start = Instant::now();
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            tick.tick().await;
            let mut last = 0;
            loop {
                tick.tick().await;
                let sent = me.sent.load(Ordering::Relaxed);
                let consumed = me.consumed.load(Ordering::Relaxed);
                eprintln!(
                    "[{label}] {:>4.0}s sent {sent} ({} msg/s) consumed {consumed}",
                    start.elapsed().as_secs_f64(),
                    sent - last
                );
                last = sent;
            }
        }))
    }
}
