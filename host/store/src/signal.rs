//! `Wakeup`: a producer-to-background-thread doorbell that costs an atomic load per ring unless
//! the thread is actually parked (no cross-thread wake per message).

use parking_lot::{Condvar, Mutex};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Lets many producers wake one background thread.
#[derive(Debug, Default)]
pub(crate) struct Wakeup {
    sleeping: AtomicBool,
    lock: Mutex<()>,
    cond: Condvar,
}

impl Wakeup {
    /// Wakes the thread if it is parked (call after publishing the new work).
    pub(crate) fn ring(&self) {
        if self.sleeping.load(Ordering::SeqCst) {
            let _g = self.lock.lock();
            self.cond.notify_all();
        }
    }

    /// Wakes the thread unconditionally (shutdown).
    pub(crate) fn ring_always(&self) {
        let _g = self.lock.lock();
        self.cond.notify_all();
    }

    /// Parks until rung or `timeout`, unless `has_work()` (checked after announcing the park,
    /// so a ring between the check and the wait is not lost).
    pub(crate) fn park(&self, timeout: Duration, has_work: impl Fn() -> bool) {
        let mut g = self.lock.lock();
        self.sleeping.store(true, Ordering::SeqCst);
        if !has_work() {
            self.cond.wait_for(&mut g, timeout);
        }
        self.sleeping.store(false, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::AtomicU64;
    use std::time::Instant;

    #[test]
    fn ring_wakes_a_parked_thread_promptly() {
        let w = Arc::new(Wakeup::default());
        let work = Arc::new(AtomicU64::new(0));
        let (w2, work2) = (Arc::clone(&w), Arc::clone(&work));
        let t = std::thread::spawn(move || {
            let start = Instant::now();
            while work2.load(Ordering::SeqCst) == 0 {
                w2.park(Duration::from_secs(30), || {
                    work2.load(Ordering::SeqCst) != 0
                });
            }
            start.elapsed()
        });
        // Wait (bounded) until the thread is parked, then ring.
        let deadline = Instant::now() + Duration::from_secs(10);
        while !w.sleeping.load(Ordering::SeqCst) && Instant::now() < deadline {
            std::thread::yield_now();
        }
        work.store(1, Ordering::SeqCst);
        w.ring();
        let waited = t.join().expect("join");
        assert!(
            waited < Duration::from_secs(10),
            "woken by the ring, not the timeout"
        );
    }
}
