//! `wasmq bench`: load against any RocketMQ-compatible broker, always beside a baseline measured
//! in the same run (these machines are shared and noisy, so only ratios mean something).
//!
//! - `produce`: sends (sync / async pipelined / oneway / batch) beside a raw TCP echo server that
//!   answers the same frames (the loopback's limit for this traffic);
//! - `consume`: produces a backlog, then pulls it back; the consume rate against the produce rate;
//! - `e2e`: a long-polling consumer pulls while producers send; end-to-end latency;
//! - `plugin`: `e2e` on a topic without plugins and on one with an ingress and a consumer filter;
//! - `report`: aggregates `--json` samples into the published results page and chart.
//!
//! Arms are interleaved A/B/A/B for `--samples` repetitions.

mod chart;
mod consume;
mod e2e;
mod echo;
mod load;
mod procinfo;
mod produce;
mod progress;
mod report;
mod run;
mod sample;
mod summary;

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};

pub use self::load::Mode;

/// `wasmq bench` options.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// The scenario.
    #[command(subcommand)]
    pub scenario: Scenario,
}

/// Scenarios.
#[derive(Debug, Subcommand)]
pub enum Scenario {
    /// Sends beside the echo baseline (one arm per `--inflight` depth).
    Produce(Common),
    /// Produces a backlog, then pulls it back; consume rate against produce rate.
    Consume(Common),
    /// Produce and consume together (long polling); end-to-end latency from a timestamp property.
    E2e(Common),
    /// `e2e` on `--topic` (no plugins) and on `--plugin-topic` (bound to plugins), interleaved.
    Plugin(PluginArgs),
    /// Aggregates `--json` samples into a Markdown page and a PNG chart.
    Report(ReportArgs),
}

/// Options shared by the scenarios.
#[derive(Debug, Args, Clone)]
pub struct Common {
    /// The broker's address (host:port). Topics are auto-created through TBW102.
    #[arg(short = 'b', long = "broker", default_value = "127.0.0.1:10911")]
    pub broker: String,
    /// Topic to use.
    #[arg(short = 't', long, default_value = "BenchmarkTopic")]
    pub topic: String,
    /// Queues to spread messages over.
    #[arg(long, default_value_t = 8)]
    pub queues: i32,
    /// Message body size in bytes.
    #[arg(short = 's', long, default_value_t = 1024)]
    pub size: usize,
    /// Send mode.
    #[arg(short = 'm', long, value_enum, default_value_t = Mode::Sync)]
    pub mode: Mode,
    /// Messages per SEND_BATCH_MESSAGE request (`--mode batch`).
    #[arg(long, default_value_t = 32)]
    pub batch: usize,
    /// Requests in flight per connection, comma separated: one arm per depth.
    #[arg(short = 'i', long, value_delimiter = ',', default_value = "1")]
    pub inflight: Vec<usize>,
    /// Producer connections.
    #[arg(short = 'p', long, default_value_t = 1)]
    pub producers: usize,
    /// Messages per measurement (unless `--duration`).
    #[arg(short = 'c', long, default_value_t = 20_000)]
    pub count: u64,
    /// Seconds per measurement instead of a count.
    #[arg(short = 'd', long)]
    pub duration: Option<f64>,
    /// Repetitions; the arms are interleaved within each.
    #[arg(long, default_value_t = 1)]
    pub samples: usize,
    /// Skip the echo baseline (several `--inflight` depths then compare with the first).
    #[arg(long)]
    pub no_baseline: bool,
    /// The broker's process id: its RSS, peak RSS and CPU per message are reported.
    #[arg(long)]
    pub broker_pid: Option<u32>,
    /// Scenario label in the output (default: the subcommand).
    #[arg(long)]
    pub label: Option<String>,
    /// Goal recorded with the samples: rate ≥ this × the baseline's.
    #[arg(long)]
    pub goal_min_ratio: Option<f64>,
    /// Goal recorded with the samples: p50 latency ≤ this × the baseline's.
    #[arg(long)]
    pub goal_max_p50_ratio: Option<f64>,
    /// Consumer group (consume, e2e, plugin).
    #[arg(long, default_value = "bench_consumer")]
    pub group: String,
    /// No progress line on stderr.
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Print one JSON line per sample (for `wasmq bench report`) instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `plugin` options.
#[derive(Debug, Args, Clone)]
pub struct PluginArgs {
    /// Common options; `--topic` is the topic without plugins.
    #[command(flatten)]
    pub common: Common,
    /// A topic bound to an ingress filter and a consumer filter (for `--group`) in the broker's
    /// plugins.toml.
    #[arg(long, default_value = "BenchPluginTopic")]
    pub plugin_topic: String,
}

/// `report` options.
#[derive(Debug, Args, Clone)]
pub struct ReportArgs {
    /// JSON-lines files written by `wasmq bench ... --json`.
    #[arg(long, required = true, num_args = 1..)]
    pub results: Vec<PathBuf>,
    /// The Markdown page to write.
    #[arg(long, default_value = "docs/bench.md")]
    pub out: PathBuf,
    /// The chart to write.
    #[arg(long, default_value = "docs/bench.png")]
    pub png: PathBuf,
    /// A Markdown fragment describing the machine and the run, included as it is.
    #[arg(long)]
    pub machine: Option<PathBuf>,
    /// Criterion's output directory (`$CARGO_TARGET_DIR/criterion`): micro-benchmark medians.
    #[arg(long)]
    pub criterion: Option<PathBuf>,
}

/// Runs a scenario.
pub fn run(args: BenchArgs) -> anyhow::Result<()> {
    if let Scenario::Report(r) = &args.scenario {
        return summary::write_report(r);
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(async move {
        let (label, common) = match &args.scenario {
            Scenario::Produce(c) => ("produce", c),
            Scenario::Consume(c) => ("consume", c),
            Scenario::E2e(c) => ("e2e", c),
            Scenario::Plugin(p) => ("plugin", &p.common),
            Scenario::Report(_) => unreachable!("handled above"),
        };
        let mut ctx = run::Ctx::new(common, label).await?;
        for s in 0..common.samples.max(1) {
            match &args.scenario {
                Scenario::Produce(c) => ctx.produce(c, s).await?,
                Scenario::Consume(c) => ctx.consume(c, s).await?,
                Scenario::E2e(c) => ctx.e2e(c, s).await?,
                Scenario::Plugin(p) => ctx.plugin(p, s).await?,
                Scenario::Report(_) => unreachable!("handled above"),
            }
        }
        ctx.finish();
        Ok(())
    })
}
