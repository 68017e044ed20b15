//! Broker-wide message rates, as Java's runtime info reports them: `putTps` and
//! `getTransferedTps` over 10 s, 1 min and 10 min, from totals sampled once a second.
//!
//! Java's `StoreStatsService` keeps a ring of once-a-second snapshots of its totals and divides
//! the difference between the newest and an older snapshot by the time between them. This does
//! the same: the totals are atomics the data path bumps (puts are counted by the store already;
//! messages pulled are counted here), and a task calls [`Throughput::sample`] every second.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Ten minutes of one-second samples, plus the one the window starts from.
const SAMPLES: usize = 601;

/// The windows Java reports, in this order.
pub const WINDOWS: [Duration; 3] = [
    Duration::from_secs(10),
    Duration::from_secs(60),
    Duration::from_secs(600),
];

#[derive(Debug, Clone, Copy)]
struct Sample {
    at: Instant,
    put: u64,
    got: u64,
}

/// Totals and their once-a-second history.
#[derive(Debug)]
pub struct Throughput {
    got_total: AtomicU64,
    samples: parking_lot::Mutex<VecDeque<Sample>>,
}

impl Default for Throughput {
    fn default() -> Self {
        Throughput {
            got_total: AtomicU64::new(0),
            samples: parking_lot::Mutex::new(VecDeque::with_capacity(SAMPLES)),
        }
    }
}

impl Throughput {
    /// Counts `n` messages handed to consumers by a pull.
    pub fn record_got(&self, n: u64) {
        self.got_total.fetch_add(n, Ordering::Relaxed);
    }

    /// Messages handed to consumers since the broker started (`msgGetTotalTodayNow`).
    pub fn got_total(&self) -> u64 {
        self.got_total.load(Ordering::Relaxed)
    }

    /// Takes a snapshot of the totals (`put_total` comes from the store) at `at`.
    pub fn sample(&self, put_total: u64, at: Instant) {
        let mut s = self.samples.lock();
        if s.len() == SAMPLES {
            s.pop_front();
        }
        s.push_back(Sample {
            at,
            put: put_total,
            got: self.got_total(),
        });
    }

    /// (put, got) messages per second over the last `window`, or over as much history as there
    /// is when the broker is younger than the window; 0 with fewer than two samples.
    pub fn tps(&self, window: Duration) -> (f64, f64) {
        let s = self.samples.lock();
        let Some(last) = s.back().copied() else {
            return (0.0, 0.0);
        };
        let first = s
            .iter()
            .find(|x| last.at.duration_since(x.at) <= window)
            .copied()
            .unwrap_or(last);
        let secs = last.at.duration_since(first.at).as_secs_f64();
        if secs <= 0.0 {
            return (0.0, 0.0);
        }
        (
            last.put.saturating_sub(first.put) as f64 / secs,
            last.got.saturating_sub(first.got) as f64 / secs,
        )
    }

    /// Java's runtime-info form: the three windows' rates, space-separated.
    pub fn java_tps(&self) -> (String, String) {
        let rates: Vec<(f64, f64)> = WINDOWS.iter().map(|w| self.tps(*w)).collect();
        let join = |f: fn(&(f64, f64)) -> f64| {
            rates
                .iter()
                .map(|r| format!("{:.2}", f(r)))
                .collect::<Vec<_>>()
                .join(" ")
        };
        (join(|r| r.0), join(|r| r.1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_over_each_window() {
        let t = Throughput::default();
        let start = Instant::now();
        assert_eq!(t.tps(WINDOWS[0]), (0.0, 0.0), "no samples");
        // 100 puts and 50 gets a second for 20 seconds.
        for sec in 0..=20u64 {
            if sec > 0 {
                t.record_got(50);
            }
            t.sample(sec * 100, start + Duration::from_secs(sec));
        }
        assert_eq!(t.tps(WINDOWS[0]), (100.0, 50.0));
        // Younger than a minute: the rate over what there is.
        assert_eq!(t.tps(WINDOWS[1]), (100.0, 50.0));
        // Then nothing for 10 s: the 10 s window drops to 0, the minute keeps the older traffic.
        for sec in 21..=30u64 {
            t.sample(2000, start + Duration::from_secs(sec));
        }
        assert_eq!(t.tps(WINDOWS[0]), (0.0, 0.0));
        let (put, got) = t.tps(WINDOWS[1]);
        assert!((put - 2000.0 / 30.0).abs() < 1e-9, "{put}");
        assert!((got - 1000.0 / 30.0).abs() < 1e-9, "{got}");
        assert_eq!(t.got_total(), 1000);
        let (put, got) = t.java_tps();
        assert_eq!(put, "0.00 66.67 66.67");
        assert_eq!(got, "0.00 33.33 33.33");
    }

    #[test]
    fn history_is_bounded() {
        let t = Throughput::default();
        let start = Instant::now();
        for sec in 0..2000u64 {
            t.sample(sec, start + Duration::from_secs(sec));
        }
        assert_eq!(t.samples.lock().len(), SAMPLES);
        assert_eq!(t.tps(WINDOWS[2]), (1.0, 0.0));
    }
}
