//! Aggregating samples per arm (median and min–max, ratio to the baseline arm, goals) and the
//! table printed at the end of a run.

use super::sample::Sample;

/// The samples of one arm of one scenario, aggregated.
#[derive(Debug, Clone)]
pub struct Arm {
    /// Scenario label.
    pub scenario: String,
    /// Arm name.
    pub arm: String,
    /// The arm compared with.
    pub baseline_of: Option<String>,
    /// The first sample (mode, size, depth...).
    pub first: Sample,
    /// Samples.
    pub n: usize,
    /// msg/s: median, min, max.
    pub rate: (f64, f64, f64),
    /// Medians of MB/s, p50, p99, p99.9.
    pub mb_per_s: f64,
    /// p50 µs.
    pub p50: f64,
    /// p99 µs.
    pub p99: f64,
    /// p99.9 µs.
    pub p999: f64,
    /// Consumer msg/s median.
    pub consume: Option<f64>,
    /// End-to-end p50 / p99 / p99.9 medians.
    pub e2e: Option<(f64, f64, f64)>,
    /// Broker CPU µs per message, median.
    pub cpu_us: Option<f64>,
    /// Broker peak RSS, largest seen, KiB.
    pub hwm_kib: Option<u64>,
    /// Broker anonymous RSS, largest seen, KiB.
    pub anon_kib: Option<u64>,
    /// Rate ratio to the baseline's median: median, min, max.
    pub ratio: Option<(f64, f64, f64)>,
    /// p50 ratio to the baseline's median p50.
    pub p50_ratio: Option<f64>,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

fn spread(v: &[f64]) -> (f64, f64, f64) {
    let min = v.iter().copied().fold(f64::INFINITY, f64::min);
    let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (median(v.to_vec()), min, max)
}

fn opt_median(v: Vec<Option<f64>>) -> Option<f64> {
    let v: Vec<f64> = v.into_iter().flatten().collect();
    (!v.is_empty()).then(|| median(v))
}

/// Groups samples by (scenario, arm) in order of appearance.
pub fn aggregate(samples: &[Sample]) -> Vec<Arm> {
    let mut keys: Vec<(String, String)> = Vec::new();
    for s in samples {
        let k = (s.scenario.clone(), s.arm.clone());
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    let mut arms: Vec<Arm> = keys
        .iter()
        .filter_map(|(sc, arm)| {
            let v: Vec<&Sample> = samples
                .iter()
                .filter(|s| &s.scenario == sc && &s.arm == arm)
                .collect();
            let first = (*v.first()?).clone();
            let f = |g: fn(&Sample) -> f64| median(v.iter().map(|s| g(s)).collect());
            let rates: Vec<f64> = v.iter().map(|s| s.msg_per_s).collect();
            let e2e =
                opt_median(v.iter().map(|s| s.e2e_p50_us.map(|x| x as f64)).collect()).map(|p50| {
                    (
                        p50,
                        opt_median(v.iter().map(|s| s.e2e_p99_us.map(|x| x as f64)).collect())
                            .unwrap_or(0.0),
                        opt_median(v.iter().map(|s| s.e2e_p999_us.map(|x| x as f64)).collect())
                            .unwrap_or(0.0),
                    )
                });
            Some(Arm {
                scenario: sc.clone(),
                arm: arm.clone(),
                baseline_of: first.baseline_of.clone(),
                n: v.len(),
                rate: spread(&rates),
                mb_per_s: f(|s| s.mb_per_s),
                p50: f(|s| s.p50_us as f64),
                p99: f(|s| s.p99_us as f64),
                p999: f(|s| s.p999_us as f64),
                consume: opt_median(v.iter().map(|s| s.consume_msg_per_s).collect()),
                e2e,
                cpu_us: opt_median(v.iter().map(|s| s.broker_cpu_us_per_msg).collect()),
                hwm_kib: v.iter().filter_map(|s| s.broker_hwm_kib).max(),
                anon_kib: v.iter().filter_map(|s| s.broker_anon_kib).max(),
                ratio: None,
                p50_ratio: None,
                first,
            })
        })
        .collect();
    let snapshot = arms.clone();
    for a in &mut arms {
        let Some(b) = a.baseline_of.as_ref().and_then(|b| {
            snapshot
                .iter()
                .find(|x| x.scenario == a.scenario && &x.arm == b)
        }) else {
            continue;
        };
        let base = b.rate.0.max(1e-9);
        a.ratio = Some((a.rate.0 / base, a.rate.1 / base, a.rate.2 / base));
        if b.p50 > 0.0 && a.p50 > 0.0 {
            a.p50_ratio = Some(a.p50 / b.p50);
        }
    }
    arms
}

/// A goal and how far the measurement is from it (`score` ≥ 1 = met; smaller = further away).
#[derive(Debug, Clone)]
pub struct Goal {
    /// Scenario and arm.
    pub what: String,
    /// The goal in words.
    pub goal: String,
    /// The measured value in words.
    pub measured: String,
    /// measured / goal for "at least" goals, goal / measured for "at most" goals.
    pub score: f64,
}

/// The goals recorded with the samples, evaluated on the medians.
pub fn goals(arms: &[Arm]) -> Vec<Goal> {
    let mut out = Vec::new();
    for a in arms {
        let base = a.baseline_of.clone().unwrap_or_default();
        if let (Some(g), Some(r)) = (a.first.goal_min_ratio, a.ratio) {
            out.push(Goal {
                what: format!("{} / {}", a.scenario, a.arm),
                goal: format!("msg/s ≥ {g}× {base}"),
                measured: format!("{:.2}× (min–max {:.2}–{:.2})", r.0, r.1, r.2),
                score: r.0 / g,
            });
        }
        if let (Some(g), Some(r)) = (a.first.goal_max_p50_ratio, a.p50_ratio) {
            out.push(Goal {
                what: format!("{} / {}", a.scenario, a.arm),
                goal: format!("p50 ≤ {g}× {base} p50"),
                measured: format!("{r:.2}× ({:.0} µs vs {:.0} µs)", a.p50, a.p50 / r),
                score: g / r,
            });
        }
    }
    out
}

/// Prints the per-arm table for people.
pub fn print_table(samples: &[Sample]) {
    println!(
        "{:<14} {:<12} {:>3} {:>10} {:>21} {:>7} {:>8} {:>8} {:>8} {:>9} {:>8}  vs baseline",
        "scenario",
        "arm",
        "n",
        "msg/s",
        "min–max",
        "MB/s",
        "p50 µs",
        "p99 µs",
        "p99.9µs",
        "cpu µs/m",
        "HWM MiB"
    );
    for a in aggregate(samples) {
        let vs = match (a.ratio, &a.baseline_of) {
            (Some(r), Some(b)) => format!("{:.2}× {b}", r.0),
            _ => String::new(),
        };
        let extra = match (a.consume, a.e2e) {
            (Some(c), Some(e)) => format!(
                "  consume {c:.0} msg/s, e2e p50/p99/p99.9 {:.0}/{:.0}/{:.0} µs",
                e.0, e.1, e.2
            ),
            _ => String::new(),
        };
        println!(
            "{:<14} {:<12} {:>3} {:>10.0} {:>21} {:>7.1} {:>8.0} {:>8.0} {:>8.0} {:>9} {:>8}  {vs}{extra}",
            a.scenario,
            a.arm,
            a.n,
            a.rate.0,
            format!("{:.0}–{:.0}", a.rate.1, a.rate.2),
            a.mb_per_s,
            a.p50,
            a.p99,
            a.p999,
            a.cpu_us.map_or(String::new(), |c| format!("{c:.1}")),
            a.hwm_kib
                .map_or(String::new(), |k| format!("{:.0}", k as f64 / 1024.0)),
        );
    }
    for g in goals(&aggregate(samples)) {
        let met = if g.score >= 1.0 { "met" } else { "NOT met" };
        println!(
            "goal {}: {} — measured {} ({met})",
            g.what, g.goal, g.measured
        );
    }
}
