//! Ordered-consumption queue locks (`RebalanceLockManager`): a queue of a group is held by one
//! client at a time; a lock not renewed within 60 s lapses.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use wasmq_protocol::body::broker::MessageQueueData;

/// Lock lifetime (`rocketmq.broker.rebalance.lockMaxLiveTime`).
pub const LOCK_MAX_LIVE: Duration = Duration::from_secs(60);

#[derive(Debug, Clone)]
struct Holder {
    client_id: String,
    renewed: Instant,
}

/// `group -> queue -> holder`.
#[derive(Debug, Default)]
pub struct QueueLocks {
    table: Mutex<HashMap<String, HashMap<MessageQueueData, Holder>>>,
}

impl QueueLocks {
    /// Locks (or renews) each queue for `client_id` unless another live holder has it; returns
    /// the queues `client_id` now holds.
    pub fn lock_batch<'a>(
        &self,
        group: &str,
        client_id: &str,
        queues: impl IntoIterator<Item = &'a MessageQueueData>,
        now: Instant,
    ) -> Vec<MessageQueueData> {
        let mut table = self.table.lock();
        let g = table.entry(group.to_owned()).or_default();
        let mut held = Vec::new();
        for mq in queues {
            let free = g.get(mq).is_none_or(|h| {
                h.client_id == client_id || now.duration_since(h.renewed) > LOCK_MAX_LIVE
            });
            if free {
                g.insert(
                    mq.clone(),
                    Holder {
                        client_id: client_id.to_owned(),
                        renewed: now,
                    },
                );
                held.push(mq.clone());
            }
        }
        held
    }

    /// Releases the queues `client_id` holds.
    pub fn unlock_batch<'a>(
        &self,
        group: &str,
        client_id: &str,
        queues: impl IntoIterator<Item = &'a MessageQueueData>,
    ) {
        let mut table = self.table.lock();
        if let Some(g) = table.get_mut(group) {
            for mq in queues {
                if g.get(mq).is_some_and(|h| h.client_id == client_id) {
                    g.remove(mq);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exclusive_until_expiry() {
        let l = QueueLocks::default();
        let mq = MessageQueueData {
            topic: "T".into(),
            broker_name: "b".into(),
            queue_id: 0,
        };
        let t0 = Instant::now();
        assert_eq!(l.lock_batch("G", "c1", [&mq], t0).len(), 1);
        assert!(l.lock_batch("G", "c2", [&mq], t0).is_empty());
        assert_eq!(l.lock_batch("G", "c1", [&mq], t0).len(), 1);
        let later = t0 + LOCK_MAX_LIVE + Duration::from_secs(1);
        assert_eq!(l.lock_batch("G", "c2", [&mq], later).len(), 1);
        l.unlock_batch("G", "c2", [&mq]);
        assert_eq!(l.lock_batch("G", "c1", [&mq], later).len(), 1);
    }
}
