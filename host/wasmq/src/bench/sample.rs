//! One measured sample (one arm of one scenario, one repetition): printed as a JSON line with
//! `--json`, read back by `wasmq bench report`.

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use super::consume::Consumed;
use super::load::{Load, Mode};
use super::procinfo::ProcSnapshot;
use super::produce::Measurement;

/// One sample.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Sample {
    /// Scenario label (`--label`, default the subcommand).
    pub scenario: String,
    /// The arm: `echo`, `broker`, `produce`, `consume`, `no-plugins`, `plugins`, `broker-i64`, ...
    pub arm: String,
    /// The arm of the same scenario this one is compared with (`None` for a baseline).
    #[serde(default)]
    pub baseline_of: Option<String>,
    /// Repetition number.
    pub sample: usize,
    /// Send mode.
    pub mode: Mode,
    /// Body size.
    pub size: usize,
    /// Messages per batch request.
    pub batch: usize,
    /// Requests in flight per connection.
    pub inflight: usize,
    /// Connections.
    pub producers: usize,
    /// Messages measured.
    pub messages: u64,
    /// Seconds.
    pub elapsed_s: f64,
    /// Messages per second.
    pub msg_per_s: f64,
    /// Body megabytes (10^6) per second.
    pub mb_per_s: f64,
    /// Request latency percentiles, microseconds.
    pub p50_us: u64,
    /// p99.
    pub p99_us: u64,
    /// p99.9.
    pub p999_us: u64,
    /// Consumer rate when produce and consume ran together.
    #[serde(default)]
    pub consume_msg_per_s: Option<f64>,
    /// End-to-end latency percentiles, microseconds.
    #[serde(default)]
    pub e2e_p50_us: Option<u64>,
    /// p99.
    #[serde(default)]
    pub e2e_p99_us: Option<u64>,
    /// p99.9.
    #[serde(default)]
    pub e2e_p999_us: Option<u64>,
    /// Broker RSS after the sample, KiB.
    #[serde(default)]
    pub broker_rss_kib: Option<u64>,
    /// Broker peak RSS, KiB.
    #[serde(default)]
    pub broker_hwm_kib: Option<u64>,
    /// Broker anonymous RSS (heap, stacks; no mapped files) after the sample, KiB.
    #[serde(default)]
    pub broker_anon_kib: Option<u64>,
    /// Broker CPU per message during the sample, microseconds.
    #[serde(default)]
    pub broker_cpu_us_per_msg: Option<f64>,
    /// Goal: this arm's median rate ≥ this × the baseline's.
    #[serde(default)]
    pub goal_min_ratio: Option<f64>,
    /// Goal: this arm's median p50 ≤ this × the baseline's.
    #[serde(default)]
    pub goal_max_p50_ratio: Option<f64>,
}

fn pct(h: &Histogram<u64>, q: f64) -> u64 {
    if h.is_empty() {
        0
    } else {
        h.value_at_quantile(q)
    }
}

impl Sample {
    /// A sample from a measurement of `load`.
    pub fn new(scenario: &str, arm: &str, sample: usize, load: &Load, m: &Measurement) -> Sample {
        Sample {
            scenario: scenario.to_owned(),
            arm: arm.to_owned(),
            baseline_of: None,
            sample,
            mode: load.mode,
            size: load.size,
            batch: if load.mode == Mode::Batch {
                load.batch
            } else {
                1
            },
            inflight: load.inflight,
            producers: load.producers,
            messages: m.messages,
            elapsed_s: m.elapsed.as_secs_f64(),
            msg_per_s: m.rate(),
            mb_per_s: m.rate() * load.size as f64 / 1e6,
            p50_us: pct(&m.latency_us, 0.5),
            p99_us: pct(&m.latency_us, 0.99),
            p999_us: pct(&m.latency_us, 0.999),
            consume_msg_per_s: None,
            e2e_p50_us: None,
            e2e_p99_us: None,
            e2e_p999_us: None,
            broker_rss_kib: None,
            broker_hwm_kib: None,
            broker_anon_kib: None,
            broker_cpu_us_per_msg: None,
            goal_min_ratio: None,
            goal_max_p50_ratio: None,
        }
    }

    /// Names the arm this one is compared with, and the goals against it.
    pub fn against(
        mut self,
        baseline: &str,
        min_ratio: Option<f64>,
        max_p50_ratio: Option<f64>,
    ) -> Sample {
        self.baseline_of = Some(baseline.to_owned());
        self.goal_min_ratio = min_ratio;
        self.goal_max_p50_ratio = max_p50_ratio;
        self
    }

    /// Adds the consumer side of a produce+consume run.
    pub fn with_consumer(mut self, c: &Consumed) -> Sample {
        self.consume_msg_per_s = Some(c.pulls.rate());
        if !c.e2e_us.is_empty() {
            self.e2e_p50_us = Some(pct(&c.e2e_us, 0.5));
            self.e2e_p99_us = Some(pct(&c.e2e_us, 0.99));
            self.e2e_p999_us = Some(pct(&c.e2e_us, 0.999));
        }
        self
    }

    /// Adds the broker's memory and CPU (snapshots before and after the sample).
    pub fn with_proc(
        mut self,
        before: Option<ProcSnapshot>,
        after: Option<ProcSnapshot>,
    ) -> Sample {
        if let (Some(b), Some(a)) = (before, after) {
            self.broker_rss_kib = Some(a.rss_kib);
            self.broker_hwm_kib = Some(a.hwm_kib);
            self.broker_anon_kib = Some(a.anon_kib);
            let cpu = a.cpu.saturating_sub(b.cpu).as_secs_f64() * 1e6;
            self.broker_cpu_us_per_msg = Some(cpu / self.messages.max(1) as f64);
        }
        self
    }
}
