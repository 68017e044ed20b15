//! [`LatencyHistogram`]: a lock-free histogram of durations (atomic buckets), encoded as a
//! Prometheus histogram in seconds. prometheus-client's `Histogram` takes a mutex per
//! observation; this one costs a bucket search and three relaxed atomic adds.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use prometheus_client::encoding::{EncodeMetric, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;

/// Upper bounds in seconds: 50 µs doubling to ~6.5 s (18 buckets), then +Inf.
pub const LATENCY_BUCKETS: [f64; 18] = {
    let mut b = [0.0; 18];
    let mut i = 0;
    let mut v = 0.000_05;
    while i < b.len() {
        b[i] = v;
        v *= 2.0;
        i += 1;
    }
    b
};

/// A histogram of durations with the fixed [`LATENCY_BUCKETS`].
#[derive(Debug)]
pub struct LatencyHistogram {
    /// Non-cumulative counts; the last cell is the +Inf overflow.
    buckets: [AtomicU64; LATENCY_BUCKETS.len() + 1],
    count: AtomicU64,
    /// Sum of observations in nanoseconds (584 years before it wraps).
    sum_nanos: AtomicU64,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        Self {
            buckets: std::array::from_fn(|_| AtomicU64::new(0)),
            count: AtomicU64::new(0),
            sum_nanos: AtomicU64::new(0),
        }
    }
}

impl LatencyHistogram {
    /// Records one duration.
    pub fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        let i = LATENCY_BUCKETS
            .iter()
            .position(|upper| secs <= *upper)
            .unwrap_or(LATENCY_BUCKETS.len());
        self.buckets[i].fetch_add(1, Relaxed);
        self.count.fetch_add(1, Relaxed);
        let nanos = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Relaxed);
    }

    /// Observations so far.
    pub fn count(&self) -> u64 {
        self.count.load(Relaxed)
    }

    /// Sum of the observations.
    pub fn sum(&self) -> Duration {
        Duration::from_nanos(self.sum_nanos.load(Relaxed))
    }

    /// `(upper bound, non-cumulative count)` per bucket, +Inf last.
    fn snapshot(&self) -> Vec<(f64, u64)> {
        LATENCY_BUCKETS
            .iter()
            .copied()
            .chain(std::iter::once(f64::INFINITY))
            .zip(self.buckets.iter().map(|b| b.load(Relaxed)))
            .collect()
    }
}

impl EncodeMetric for LatencyHistogram {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        // Buckets are read first: a concurrent observation then shows in count and sum but
        // not (yet) in a bucket, which keeps every bucket <= count.
        let buckets = self.snapshot();
        let count = buckets.iter().map(|(_, n)| n).sum();
        encoder.encode_histogram::<NoLabelSet>(self.sum().as_secs_f64(), count, &buckets, None)
    }

    fn metric_type(&self) -> MetricType {
        MetricType::Histogram
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observations_land_in_the_first_bucket_that_holds_them() {
        let h = LatencyHistogram::default();
        h.observe(Duration::from_micros(10)); // <= 50 µs
        h.observe(Duration::from_micros(50)); // == 50 µs: same bucket (le is inclusive)
        h.observe(Duration::from_micros(51)); // 100 µs bucket
        h.observe(Duration::from_secs(60)); // +Inf
        let s = h.snapshot();
        assert_eq!(s.len(), 19);
        assert_eq!(s[0], (0.000_05, 2));
        assert_eq!(s[1], (0.000_1, 1));
        assert_eq!(s[18], (f64::INFINITY, 1));
        assert_eq!(h.count(), 4);
        assert_eq!(
            h.sum(),
            Duration::from_micros(111) + Duration::from_secs(60)
        );
        assert!((LATENCY_BUCKETS[17] - 6.553_6).abs() < 1e-9);
    }
}
