//! `wasmq bench report`: the published results page (Markdown) from `--json` samples, with the
//! criterion micro-benchmark medians of the same run and the chart.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context;

use super::ReportArgs;
use super::report::{Arm, aggregate, goals};
use super::sample::Sample;

/// Reads the samples, writes the page and the chart.
pub fn write_report(args: &ReportArgs) -> anyhow::Result<()> {
    let mut samples = Vec::new();
    for path in &args.results {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        for (i, line) in text.lines().enumerate().filter(|(_, l)| l.starts_with('{')) {
            let s: Sample = serde_json::from_str(line)
                .with_context(|| format!("{}:{}: not a bench sample", path.display(), i + 1))?;
            samples.push(s);
        }
    }
    anyhow::ensure!(!samples.is_empty(), "no samples in {:?}", args.results);
    let arms = aggregate(&samples);
    let mut md = String::new();
    md.push_str("# wasmq benchmarks\n\n");
    md.push_str(
        "Produced by `bench/run` (do not edit by hand). Every broker number stands beside a baseline \
         measured in the same run on the same machine: a raw TCP echo server answering the same \
         frames, the broker without plugins, one sender, or raw memcpy / fdatasync in the store's \
         criterion benches. The machine is shared and noisy; read ratios, not absolute numbers.\n\n",
    );
    if let Some(m) = &args.machine {
        let text =
            std::fs::read_to_string(m).with_context(|| format!("reading {}", m.display()))?;
        md.push_str(&text);
        md.push('\n');
    }
    md.push_str(
        "## Goals\n\n| scenario / arm | goal | measured (median) | met |\n|---|---|---|---|\n",
    );
    let mut gs = goals(&arms);
    for g in &gs {
        let met = if g.score >= 1.0 { "yes" } else { "**no**" };
        let _ = writeln!(md, "| {} | {} | {} | {met} |", g.what, g.goal, g.measured);
    }
    gs.sort_by(|a, b| a.score.total_cmp(&b.score));
    if let Some(worst) = gs.first() {
        let _ = writeln!(
            md,
            "\nFurthest from its goal: **{}** ({}: measured {}, {:.0} % of the goal).\n",
            worst.what,
            worst.goal,
            worst.measured,
            100.0 * worst.score
        );
    }
    md.push_str(&results_table(&arms));
    md.push_str("\n![ratios to the same-run baselines](bench.png)\n\n");
    if let Some(dir) = &args.criterion {
        md.push_str(&criterion_table(dir));
    }
    md.push_str(REPRODUCE);
    if let Some(parent) = args.out.parent() {
        std::fs::create_dir_all(parent).ok();
    }
    std::fs::write(&args.out, md).with_context(|| format!("writing {}", args.out.display()))?;
    super::chart::draw(&arms, &args.png)?;
    eprintln!("wrote {} and {}", args.out.display(), args.png.display());
    Ok(())
}

fn results_table(arms: &[Arm]) -> String {
    let mut md = String::from(
        "## Results\n\nMedian over the samples (n), min–max in brackets; latency is the request \
         round trip measured by the client (closed loop), e2e is send → pulled by a long-polling \
         consumer. CPU is the broker's user+system time per message; HWM its peak RSS, which counts the \
         mapped commit log's resident pages (all of them when the store is on tmpfs); anon is its \
         heap and stacks only (RssAnon).\n\n\
         | scenario | arm | load | n | msg/s (min–max) | MB/s | vs baseline | p50 / p99 / p99.9 µs | consume msg/s | e2e p50 / p99 / p99.9 µs | broker CPU µs/msg | broker HWM / anon MiB |\n\
         |---|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for a in arms {
        let f = &a.first;
        let load = match f.mode {
            super::Mode::Batch => format!(
                "batch {}×{} B, {} in flight, {} conn",
                f.batch, f.size, f.inflight, f.producers
            ),
            m => format!(
                "{} {} B, {} in flight, {} conn",
                serde_json::to_value(m)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                f.size,
                f.inflight,
                f.producers
            ),
        };
        let vs = match (a.ratio, &a.baseline_of) {
            (Some(r), Some(b)) => format!("{:.2}× {b} ({:.2}–{:.2})", r.0, r.1, r.2),
            _ => "baseline".into(),
        };
        let _ = writeln!(
            md,
            "| {} | {} | {load} | {} | {:.0} ({:.0}–{:.0}) | {:.1} | {vs} | {:.0} / {:.0} / {:.0} | {} | {} | {} | {} |",
            a.scenario,
            a.arm,
            a.n,
            a.rate.0,
            a.rate.1,
            a.rate.2,
            a.mb_per_s,
            a.p50,
            a.p99,
            a.p999,
            a.consume.map_or("".into(), |c| format!("{c:.0}")),
            a.e2e.map_or("".into(), |e| format!(
                "{:.0} / {:.0} / {:.0}",
                e.0, e.1, e.2
            )),
            a.cpu_us.map_or("".into(), |c| format!("{c:.1}")),
            match (a.hwm_kib, a.anon_kib) {
                (Some(h), Some(n)) =>
                    format!("{:.0} / {:.0}", h as f64 / 1024.0, n as f64 / 1024.0),
                _ => String::new(),
            },
        );
    }
    md
}

/// Medians from criterion's `<group>/<bench>/new/estimates.json` files.
fn criterion_table(dir: &Path) -> String {
    let mut rows = Vec::new();
    collect_estimates(dir, dir, &mut rows, 0);
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    let mut md = String::from(
        "## Micro-benchmarks (criterion, same run, short measurement)\n\n\
         | benchmark | median |\n|---|---|\n",
    );
    if rows.is_empty() {
        md.push_str("| (none found) | |\n");
    }
    for (name, ns) in rows {
        let t = if ns >= 1e6 {
            format!("{:.2} ms", ns / 1e6)
        } else if ns >= 1e3 {
            format!("{:.2} µs", ns / 1e3)
        } else {
            format!("{ns:.1} ns")
        };
        let _ = writeln!(md, "| {name} | {t} |");
    }
    md.push('\n');
    md
}

fn collect_estimates(root: &Path, dir: &Path, out: &mut Vec<(String, f64)>, depth: usize) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if !p.is_dir()
            || p.file_name()
                .is_some_and(|n| n == "report" || n == "base" || n == "change")
        {
            continue;
        }
        let est = p.join("new").join("estimates.json");
        if est.is_file() {
            let median = std::fs::read_to_string(&est)
                .ok()
                .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
                .and_then(|v| v["median"]["point_estimate"].as_f64());
            if let (Some(m), Ok(rel)) = (median, p.strip_prefix(root)) {
                out.push((rel.display().to_string(), m));
            }
        } else if depth < 4 {
            collect_estimates(root, &p, out, depth + 1);
        }
    }
}

const REPRODUCE: &str = "## How to reproduce\n\n\
```\n\
bench/run                      # builds release, starts brokers on free ports, runs everything (< 10 min)\n\
BENCH_SAMPLES=5 bench/run      # more samples\n\
```\n\n\
Single scenarios against any RocketMQ-compatible broker (e.g. another broker for comparison):\n\n\
```\n\
wasmq bench produce --broker 127.0.0.1:10911 --mode sync -i 1 -d 5 --samples 3 --broker-pid PID\n\
wasmq bench produce --mode async -i 64 -d 5            # pipelined, 64 in flight\n\
wasmq bench produce --mode batch --batch 32 -i 8 -d 5  # SEND_BATCH_MESSAGE\n\
wasmq bench produce --mode oneway -d 5\n\
wasmq bench produce --no-baseline -i 1,64 -d 5         # e.g. a SYNC_FLUSH broker: 64 senders vs 1\n\
wasmq bench consume -c 100000                           # backlog, then drain\n\
wasmq bench e2e -i 16 -d 5                              # produce + long-polling consume\n\
wasmq bench plugin --plugin-topic BenchPluginTopic     # needs a broker with --plugins (see bench/run)\n\
wasmq bench report --results r.jsonl --out docs/bench.md --png docs/bench.png\n\
```\n\n\
Store baselines (raw memcpy into a pre-faulted mapping, raw 4 KiB write + fdatasync):\n\
`cargo bench -p wasmq-store --bench store`; codec: `cargo bench -p wasmq-protocol --bench codec`;\n\
plugin call per batch size: `cargo bench -p wasmq-plugin-host --bench filter`.\n";
