//! Printing results: a table for people, JSON lines for machines.

use super::load::Measurement;

/// One line of results.
#[derive(Debug)]
pub struct Row {
    /// What was measured.
    pub name: &'static str,
    /// Requests in flight.
    pub inflight: usize,
    /// Messages.
    pub messages: u64,
    /// Messages per second.
    pub rate: f64,
    /// Latency percentiles, microseconds.
    pub p50: u64,
    /// p99.
    pub p99: u64,
    /// p99.9.
    pub p999: u64,
    /// A remark, e.g. a ratio.
    pub note: String,
}

impl Row {
    /// A row from a measurement.
    pub fn new(name: &'static str, inflight: usize, m: &Measurement) -> Row {
        Row {
            name,
            inflight,
            messages: m.messages,
            rate: m.rate(),
            p50: m.latency_us.value_at_quantile(0.5),
            p99: m.latency_us.value_at_quantile(0.99),
            p999: m.latency_us.value_at_quantile(0.999),
            note: String::new(),
        }
    }
}

/// Prints rows, adding each broker row's ratio to the echo baseline of the same depth.
pub fn print_rows(rows: &[Row], json: bool) {
    let baseline = |inflight: usize| {
        rows.iter()
            .find(|r| r.name == "echo baseline" && r.inflight == inflight)
            .map(|r| r.rate)
    };
    if !json {
        println!(
            "{:<16} {:>8} {:>9} {:>11} {:>9} {:>9} {:>9}  note",
            "scenario", "inflight", "messages", "msg/s", "p50 us", "p99 us", "p99.9 us"
        );
    }
    for r in rows {
        let mut note = r.note.clone();
        if let (true, Some(b)) = (r.name == "wasmq produce", baseline(r.inflight)) {
            note = format!("{:.0}% of echo", 100.0 * r.rate / b);
        }
        if json {
            println!(
                "{}",
                serde_json::json!({
                    "scenario": r.name, "inflight": r.inflight, "messages": r.messages,
                    "msg_per_s": r.rate, "p50_us": r.p50, "p99_us": r.p99, "p999_us": r.p999,
                    "note": note,
                })
            );
        } else {
            println!(
                "{:<16} {:>8} {:>9} {:>11.0} {:>9} {:>9} {:>9}  {}",
                r.name, r.inflight, r.messages, r.rate, r.p50, r.p99, r.p999, note
            );
        }
    }
}
