//! Held pulls (`PullRequestHoldService`): a pull that found nothing waits, keyed `topic@queueId`,
//! until the store's arrival listener reports a new entry that passes its filter, or until its
//! suspend time runs out. Waking is push-based; a periodic re-check (5 s, or the short-polling
//! interval) only guards against a filter that rejected every arrival while the queue grew.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::sync::oneshot;
use tokio::time::Instant;

use crate::filter::PullFilter;

struct Waiter {
    id: u64,
    offset: i64,
    filter: Arc<PullFilter>,
    wake: oneshot::Sender<()>,
}

/// The table of held pulls.
#[derive(Default)]
pub struct PullHolds {
    waiters: Mutex<HashMap<(String, i32), Vec<Waiter>>>,
    next_id: std::sync::atomic::AtomicU64,
}

impl std::fmt::Debug for PullHolds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n: usize = self.waiters.lock().values().map(Vec::len).sum();
        f.debug_struct("PullHolds").field("held", &n).finish()
    }
}

/// What a held pull waits for.
#[derive(Debug)]
pub struct HoldRequest<'a> {
    /// Topic.
    pub topic: &'a str,
    /// Queue.
    pub queue_id: i32,
    /// The offset that found nothing.
    pub offset: i64,
    /// Only arrivals passing this wake the pull.
    pub filter: Arc<PullFilter>,
}

/// Removes a waiter from the table when dropped.
struct Registration<'a> {
    holds: &'a PullHolds,
    key: (String, i32),
    id: u64,
}

impl Drop for Registration<'_> {
    fn drop(&mut self) {
        self.holds.remove(&self.key, self.id);
    }
}

/// Why a held pull stopped waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WakeReason {
    /// A matching message arrived (or the queue grew past the offset).
    Arrived,
    /// The suspend time elapsed.
    TimedOut,
}

impl PullHolds {
    /// Called by the store for each new consume-queue entry.
    pub fn notify_arrival(&self, topic: &str, queue_id: i32, max_offset: i64, tags_code: i64) {
        let mut waiters = self.waiters.lock();
        let key = (topic.to_owned(), queue_id);
        let Some(list) = waiters.get_mut(&key) else {
            return;
        };
        let mut i = 0;
        while i < list.len() {
            let w = &list[i];
            if max_offset > w.offset && w.filter.matches_code(tags_code) {
                let w = list.swap_remove(i);
                let _ = w.wake.send(());
            } else {
                i += 1;
            }
        }
        if list.is_empty() {
            waiters.remove(&key);
        }
    }

    /// Number of pulls currently held.
    pub fn held(&self) -> usize {
        self.waiters.lock().values().map(Vec::len).sum()
    }

    /// Holds until a matching arrival, `deadline`, or (checked every `recheck`) `queue_max()`
    /// exceeding `offset`.
    pub async fn hold(
        &self,
        req: HoldRequest<'_>,
        deadline: Instant,
        recheck: Duration,
        queue_max: impl Fn() -> i64,
    ) -> WakeReason {
        let id = self
            .next_id
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (tx, mut rx) = oneshot::channel();
        let HoldRequest {
            topic,
            queue_id,
            offset,
            filter,
        } = req;
        let key = (topic.to_owned(), queue_id);
        self.waiters
            .lock()
            .entry(key.clone())
            .or_default()
            .push(Waiter {
                id,
                offset,
                filter,
                wake: tx,
            });
        // Unregisters on every exit, including the caller dropping this future.
        let _registered = Registration {
            holds: self,
            key,
            id,
        };
        // A message may have landed between the caller's read and the registration above.
        if queue_max() > offset {
            WakeReason::Arrived
        } else {
            loop {
                let next_check = (Instant::now() + recheck).min(deadline);
                tokio::select! {
                    r = &mut rx => break if r.is_ok() { WakeReason::Arrived } else { WakeReason::TimedOut },
                    () = tokio::time::sleep_until(next_check) => {
                        if queue_max() > offset {
                            break WakeReason::Arrived;
                        }
                        if Instant::now() >= deadline {
                            break WakeReason::TimedOut;
                        }
                    }
                }
            }
        }
    }

    fn remove(&self, key: &(String, i32), id: u64) {
        let mut waiters = self.waiters.lock();
        if let Some(list) = waiters.get_mut(key) {
            list.retain(|w| w.id != id);
            if list.is_empty() {
                waiters.remove(key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::TagFilter;
    use std::sync::atomic::{AtomicI64, Ordering};

    #[tokio::test(start_paused = true)]
    async fn times_out_at_deadline() {
        let holds = PullHolds::default();
        let start = Instant::now();
        let r = holds
            .hold(
                HoldRequest {
                    topic: "T",
                    queue_id: 0,
                    offset: 0,
                    filter: Arc::new(PullFilter::Tag(TagFilter::all())),
                },
                start + Duration::from_secs(15),
                Duration::from_secs(5),
                || 0,
            )
            .await;
        assert_eq!(r, WakeReason::TimedOut);
        assert_eq!(start.elapsed(), Duration::from_secs(15));
        assert_eq!(holds.held(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_dropped_hold_unregisters() {
        let holds = PullHolds::default();
        let req = HoldRequest {
            topic: "T",
            queue_id: 0,
            offset: 0,
            filter: Arc::new(PullFilter::Tag(TagFilter::all())),
        };
        let fut = holds.hold(
            req,
            Instant::now() + Duration::from_secs(15),
            Duration::from_secs(5),
            || 0,
        );
        let r = tokio::time::timeout(Duration::from_secs(1), fut).await;
        assert!(r.is_err(), "still held when dropped");
        assert_eq!(holds.held(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn arrival_wakes_only_matching_filter() {
        let holds = Arc::new(PullHolds::default());
        let max = Arc::new(AtomicI64::new(0));
        let start = Instant::now();
        let h = Arc::clone(&holds);
        let m = Arc::clone(&max);
        let task = tokio::spawn(async move {
            h.hold(
                HoldRequest {
                    topic: "T",
                    queue_id: 1,
                    offset: 0,
                    filter: Arc::new(PullFilter::Tag(TagFilter::from_expression("a"))),
                },
                start + Duration::from_secs(15),
                Duration::from_secs(60),
                move || m.load(Ordering::SeqCst),
            )
            .await
        });
        tokio::task::yield_now().await;
        while holds.held() == 0 {
            tokio::task::yield_now().await;
        }
        holds.notify_arrival(
            "T",
            1,
            1,
            i64::from(wasmq_protocol::message::java_string_hash("b")),
        );
        assert_eq!(holds.held(), 1, "a non-matching tag must not wake");
        tokio::time::advance(Duration::from_secs(1)).await;
        holds.notify_arrival("T", 1, 2, 97);
        let r = task.await.unwrap();
        assert_eq!(r, WakeReason::Arrived);
        assert!(start.elapsed() < Duration::from_secs(2));
    }
}
