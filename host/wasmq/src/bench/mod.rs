//! `wasmq bench`: load against any RocketMQ-compatible broker, always beside a baseline measured
//! in the same run (these machines are shared and noisy, so only ratios mean something).
//!
//! - `produce`: 1 KiB (by default) sync sends with 1..N requests in flight on one connection,
//!   first against a raw TCP echo server that answers the same frames (the loopback's limit for
//!   this traffic), then against the broker.
//! - `consume`: pulls the backlog back and compares the rate with the produce rate of the run.

mod echo;
mod load;
mod report;

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand};

use self::load::{Load, max_offsets, run_consume, run_produce};
use self::report::{Row, print_rows};

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
    /// Sync sends with 1..N in flight, beside the echo baseline.
    Produce(Common),
    /// Produce a backlog, then pull it back; reports both rates and the echo baseline.
    Consume(Common),
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
    /// Requests in flight on the connection, comma separated: one measurement per depth.
    #[arg(short = 'i', long, value_delimiter = ',', default_value = "1,16,64")]
    pub inflight: Vec<usize>,
    /// Messages per measurement.
    #[arg(short = 'c', long, default_value_t = 20_000)]
    pub count: u64,
    /// Skip the echo baseline.
    #[arg(long)]
    pub no_baseline: bool,
    /// Print JSON lines instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Runs a scenario.
pub fn run(args: BenchArgs) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(async move {
        match args.scenario {
            Scenario::Produce(c) => produce(c, false).await,
            Scenario::Consume(c) => produce(c, true).await,
        }
    })
}

async fn produce(c: Common, consume: bool) -> anyhow::Result<()> {
    let broker: SocketAddr = tokio::net::lookup_host(&c.broker)
        .await
        .with_context(|| format!("resolving the broker address {}", c.broker))?
        .next()
        .with_context(|| format!("no address for {}", c.broker))?;
    let mut rows = Vec::new();
    for &depth in &c.inflight {
        let load = Load {
            topic: c.topic.clone(),
            queues: c.queues,
            size: c.size,
            inflight: depth.max(1),
            count: c.count,
        };
        if !c.no_baseline {
            let echo = echo::EchoServer::start().await?;
            let r = run_produce(echo.addr(), &load).await?;
            rows.push(Row::new("echo baseline", depth, &r));
        }
        let start = if consume {
            max_offsets(broker, &load).await?
        } else {
            Vec::new()
        };
        let r = run_produce(broker, &load).await.with_context(|| {
            format!("producing to {broker}: is a broker running there (wasmq standalone)?")
        })?;
        let produce_rate = r.rate();
        rows.push(Row::new("wasmq produce", depth, &r));
        if consume {
            let r = run_consume(broker, &load, &start, Duration::from_secs(120)).await?;
            let mut row = Row::new("wasmq consume", depth, &r);
            row.note = format!("{:.0}% of produce", 100.0 * r.rate() / produce_rate);
            rows.push(row);
        }
    }
    print_rows(&rows, c.json);
    Ok(())
}
