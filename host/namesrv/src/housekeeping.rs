//! The background expiry scan: drops brokers silent for `brokerChannelExpiredTime`.

use std::sync::{Arc, Weak};

use tokio::task::JoinHandle;
use tokio::time::{MissedTickBehavior, interval_at};

use crate::state::NamesrvState;

/// The running scan; stops when dropped.
#[derive(Debug)]
pub struct ExpiryTask {
    task: JoinHandle<()>,
}

impl Drop for ExpiryTask {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts scanning every `scanNotActiveBrokerInterval`. Needed whenever [`crate::router`] is
/// served outside [`crate::start`]. The task holds the state weakly and ends with it.
pub fn spawn_expiry(state: &Arc<NamesrvState>) -> ExpiryTask {
    let period = state.config().scan_interval();
    let weak: Weak<NamesrvState> = Arc::downgrade(state);
    let task = tokio::spawn(async move {
        let mut tick = interval_at(tokio::time::Instant::now() + period, period);
        tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let Some(state) = weak.upgrade() else { break };
            let n = state.scan_not_active_brokers();
            if n > 0 {
                tracing::info!(expired = n, "expired brokers removed");
            }
        }
    });
    ExpiryTask { task }
}
