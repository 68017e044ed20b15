//! The throughput chart's data: every [`INTERVAL`] the console asks each broker the nameserver
//! knows for its runtime figures (GET_BROKER_RUNTIME_INFO) and turns the growth of its message
//! counters into rates: `put` from `msgPutTotalTodayNow`, `get` from `msgGetTotalTodayNow` when the
//! broker reports it. The last [`KEEP`] rates per broker and metric are kept in memory.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;

use crate::AppState;
use crate::error::ApiError;

/// How often the brokers are sampled.
pub const INTERVAL: Duration = Duration::from_secs(2);
/// Points kept per series (6 minutes at 2 s).
pub const KEEP: usize = 180;

/// The counters a rate is computed from: `(metric, runtime key)`.
const COUNTERS: [(&str, &str); 2] = [
    ("put", "msgPutTotalTodayNow"),
    ("get", "msgGetTotalTodayNow"),
];

/// One line of the chart.
#[derive(Debug, Clone, Serialize)]
pub struct Series {
    /// Broker name and address, e.g. `broker-a (127.0.0.1:10911)`.
    pub broker: String,
    /// `put` or `get`.
    pub metric: &'static str,
    /// `[ms since the epoch, messages per second]`, oldest first.
    pub points: VecDeque<(i64, f64)>,
}

#[derive(Debug, Default)]
struct Inner {
    /// Last counter reading per (broker, metric): (ms, value).
    last: BTreeMap<(String, &'static str), (i64, i64)>,
    series: BTreeMap<(String, &'static str), Series>,
}

/// Recent rates per broker.
#[derive(Debug, Default)]
pub struct History(Mutex<Inner>);

impl History {
    /// Records one reading of a broker's runtime table taken at `now_ms`.
    pub fn record(&self, broker: &str, now_ms: i64, runtime: &BTreeMap<String, String>) {
        let mut inner = self.0.lock().unwrap_or_else(|p| p.into_inner());
        for (metric, key) in COUNTERS {
            let Some(value) = runtime.get(key).and_then(|v| v.trim().parse::<i64>().ok()) else {
                continue;
            };
            let k = (broker.to_owned(), metric);
            let prev = inner.last.insert(k.clone(), (now_ms, value));
            let Some((t0, v0)) = prev else { continue };
            // A counter that went down was reset (a restart, or Java's midnight roll-over).
            if now_ms <= t0 || value < v0 {
                continue;
            }
            #[allow(clippy::cast_precision_loss)] // counters and spans far below 2^52
            let rate = (value - v0) as f64 * 1000.0 / (now_ms - t0) as f64;
            let series = inner.series.entry(k).or_insert_with(|| Series {
                broker: broker.to_owned(),
                metric,
                points: VecDeque::new(),
            });
            series.points.push_back((now_ms, rate));
            while series.points.len() > KEEP {
                series.points.pop_front();
            }
        }
    }

    /// Every series, ordered by broker then metric.
    pub fn series(&self) -> Vec<Series> {
        let inner = self.0.lock().unwrap_or_else(|p| p.into_inner());
        inner.series.values().cloned().collect()
    }
}

/// Samples every broker forever (the console aborts this task when it stops). The nameserver
/// becoming unreachable, and reachable again, is logged once each; other failures at debug level
/// (the pages report them when someone looks).
pub async fn sample_forever(state: Arc<AppState>) {
    let mut tick = tokio::time::interval(INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut reachable = true;
    loop {
        tick.tick().await;
        let info = state.admin.cluster_info().await;
        match (&info, reachable) {
            (Err(e), true) => {
                let e = ApiError::from_admin_ref(e, state.admin.namesrv());
                tracing::warn!("{}", e.message());
            }
            (Ok(_), false) => {
                tracing::info!(
                    namesrv = state.admin.namesrv(),
                    "the nameserver answers again"
                );
            }
            _ => {}
        }
        reachable = info.is_ok();
        let brokers = match info {
            Ok(info) => info
                .broker_addr_table
                .values()
                .flat_map(|b| {
                    b.broker_addrs
                        .values()
                        .map(|addr| format!("{} ({addr})", b.broker_name))
                        .zip(b.broker_addrs.values().cloned())
                        .collect::<Vec<_>>()
                })
                .collect::<Vec<_>>(),
            Err(e) => {
                tracing::debug!(cause = %e, "throughput sample: no cluster info");
                continue;
            }
        };
        for (label, addr) in brokers {
            match state.admin.broker_runtime(&addr).await {
                Ok(rt) => state.throughput.record(&label, now_ms(), &rt),
                Err(e) => tracing::debug!(%addr, cause = %e, "throughput sample: no runtime info"),
            }
        }
    }
}

/// Now, in ms since the epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(put: i64) -> BTreeMap<String, String> {
        BTreeMap::from([("msgPutTotalTodayNow".to_owned(), put.to_string())])
    }

    #[test]
    fn rates_come_from_counter_growth_and_resets_are_skipped() {
        let h = History::default();
        h.record("b", 1_000, &table(10));
        assert!(h.series().is_empty(), "one reading is no rate yet");
        h.record("b", 3_000, &table(50));
        h.record("b", 5_000, &table(2)); // restart: skipped
        h.record("b", 6_000, &table(12));
        let s = h.series();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].metric, "put");
        let pts: Vec<_> = s[0].points.iter().copied().collect();
        assert_eq!(pts, vec![(3_000, 20.0), (6_000, 10.0)]);
    }
}
