//! Running the arms of a scenario: the echo baseline and the broker, one sample at a time,
//! collecting [`Sample`]s (printed as JSON lines at once with `--json`, as a table at the end).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

use super::consume::{Pulling, Shared, max_offsets, run_consume};
use super::e2e::run_e2e;
use super::echo::EchoServer;
use super::load::Load;
use super::procinfo::snapshot;
use super::produce::{Measurement, ensure_topic, run_produce};
use super::progress::Progress;
use super::sample::Sample;
use super::{Common, PluginArgs, report};

/// How long a consumer may take to catch up after the producers stopped.
const CONSUME_DEADLINE: Duration = Duration::from_secs(120);

/// The state of one `wasmq bench` invocation.
#[derive(Debug)]
pub struct Ctx {
    broker: SocketAddr,
    echo: EchoServer,
    label: String,
    samples: Vec<Sample>,
    json: bool,
    quiet: bool,
    pid: Option<u32>,
}

impl Ctx {
    /// Resolves the broker and starts the echo server.
    pub async fn new(c: &Common, subcommand: &str) -> anyhow::Result<Ctx> {
        let broker = tokio::net::lookup_host(&c.broker)
            .await
            .with_context(|| format!("resolving the broker address {}", c.broker))?
            .next()
            .with_context(|| format!("no address for {}", c.broker))?;
        Ok(Ctx {
            broker,
            echo: EchoServer::start().await?,
            label: c.label.clone().unwrap_or_else(|| subcommand.to_owned()),
            samples: Vec::new(),
            json: c.json,
            quiet: c.quiet,
            pid: c.broker_pid,
        })
    }

    fn load(c: &Common, depth: usize, topic: &str) -> Load {
        Load {
            topic: topic.to_owned(),
            queues: c.queues,
            size: c.size,
            mode: c.mode,
            batch: c.batch,
            inflight: depth.max(1),
            producers: c.producers.max(1),
            count: c.count,
            duration: c.duration.map(Duration::from_secs_f64),
        }
    }

    fn push(&mut self, s: Sample) {
        if self.json {
            match serde_json::to_string(&s) {
                Ok(line) => println!("{line}"),
                Err(e) => tracing::warn!("sample not printed: {e}"),
            }
        }
        self.samples.push(s);
    }

    fn progress(&self, arm: &str) -> (Arc<Progress>, super::progress::Printer) {
        let p = Arc::new(Progress::default());
        let printer = p.print(format!("{} {arm}", self.label), self.quiet);
        (p, printer)
    }

    async fn send(&self, to: SocketAddr, load: &Load, arm: &str) -> anyhow::Result<Measurement> {
        let (p, _printer) = self.progress(arm);
        run_produce(to, load, &p)
            .await
            .with_context(|| format!("producing to {to} ({arm}): is a broker running there?"))
    }

    /// Echo baseline then broker, for each depth.
    pub async fn produce(&mut self, c: &Common, s: usize) -> anyhow::Result<()> {
        let several = c.inflight.len() > 1;
        let mut first: Option<String> = None;
        for &depth in &c.inflight {
            let name = |what: &str| {
                if several {
                    format!("{what}-i{depth}")
                } else {
                    what.to_owned()
                }
            };
            let load = Self::load(c, depth, &c.topic);
            let baseline = if c.no_baseline {
                first.clone()
            } else {
                let m = self.send(self.echo.addr(), &load, &name("echo")).await?;
                self.push(Sample::new(&self.label, &name("echo"), s, &load, &m));
                Some(name("echo"))
            };
            let before = self.pid.and_then(snapshot);
            let m = self.send(self.broker, &load, &name("broker")).await?;
            let after = self.pid.and_then(snapshot);
            let mut sample =
                Sample::new(&self.label, &name("broker"), s, &load, &m).with_proc(before, after);
            if let Some(b) = &baseline {
                sample = sample.against(b, c.goal_min_ratio, c.goal_max_p50_ratio);
            }
            first.get_or_insert(name("broker"));
            self.push(sample);
        }
        Ok(())
    }

    /// Produce a backlog, then drain it.
    pub async fn consume(&mut self, c: &Common, s: usize) -> anyhow::Result<()> {
        let load = Self::load(c, c.inflight.first().copied().unwrap_or(1), &c.topic);
        ensure_topic(self.broker, &load).await?;
        let start = max_offsets(self.broker, &c.topic, c.queues).await?;
        let before = self.pid.and_then(snapshot);
        let m = self.send(self.broker, &load, "produce").await?;
        let after = self.pid.and_then(snapshot);
        self.push(Sample::new(&self.label, "produce", s, &load, &m).with_proc(before, after));
        let end = max_offsets(self.broker, &c.topic, c.queues).await?;
        let target = end
            .iter()
            .zip(&start)
            .map(|(e, s)| (e - s).max(0) as u64)
            .sum();
        let pulling = Pulling {
            group: c.group.clone(),
            topic: c.topic.clone(),
            start,
            suspend_ms: 0,
            batch: 32,
        };
        let (p, printer) = self.progress("consume");
        let before = self.pid.and_then(snapshot);
        let got = run_consume(
            self.broker,
            &pulling,
            &Shared::new(target)?,
            &p,
            false,
            CONSUME_DEADLINE,
        )
        .await?;
        let after = self.pid.and_then(snapshot);
        drop(printer);
        let sample = Sample::new(&self.label, "consume", s, &load, &got.pulls)
            .with_proc(before, after)
            .against("produce", c.goal_min_ratio, c.goal_max_p50_ratio);
        self.push(sample);
        Ok(())
    }

    async fn e2e_arm(
        &mut self,
        c: &Common,
        topic: &str,
        arm: &str,
        s: usize,
    ) -> anyhow::Result<Sample> {
        let load = Self::load(c, c.inflight.first().copied().unwrap_or(1), topic);
        let (p, _printer) = self.progress(arm);
        let before = self.pid.and_then(snapshot);
        let r = run_e2e(self.broker, &load, &c.group, &p, CONSUME_DEADLINE)
            .await
            .with_context(|| format!("produce+consume on {topic} at {}", self.broker))?;
        let after = self.pid.and_then(snapshot);
        Ok(Sample::new(&self.label, arm, s, &load, &r.produce)
            .with_consumer(&r.consume)
            .with_proc(before, after))
    }

    /// Echo baseline, then produce and consume together.
    pub async fn e2e(&mut self, c: &Common, s: usize) -> anyhow::Result<()> {
        let load = Self::load(c, c.inflight.first().copied().unwrap_or(1), &c.topic);
        let baseline = !c.no_baseline;
        if baseline {
            let m = self.send(self.echo.addr(), &load, "echo").await?;
            self.push(Sample::new(&self.label, "echo", s, &load, &m));
        }
        let mut sample = self.e2e_arm(c, &c.topic, "broker", s).await?;
        if baseline {
            sample = sample.against("echo", c.goal_min_ratio, c.goal_max_p50_ratio);
        }
        self.push(sample);
        Ok(())
    }

    /// Produce+consume without plugins, then on the plugin-bound topic.
    pub async fn plugin(&mut self, p: &PluginArgs, s: usize) -> anyhow::Result<()> {
        let c = &p.common;
        let plain = self.e2e_arm(c, &c.topic, "no-plugins", s).await?;
        self.push(plain);
        let with = self
            .e2e_arm(c, &p.plugin_topic, "plugins", s)
            .await?
            .against("no-plugins", c.goal_min_ratio, c.goal_max_p50_ratio);
        self.push(with);
        Ok(())
    }

    /// Prints the summary table (unless `--json`).
    pub fn finish(&self) {
        if !self.json {
            report::print_table(&self.samples);
        }
    }
}
