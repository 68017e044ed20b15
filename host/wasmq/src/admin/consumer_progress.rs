//! `consumerProgress`: a consumer group's broker offset, consumer offset and lag per queue, with
//! the totals; without `-g`, one line per subscription group with its total lag.

use clap::Args;
use serde::Serialize;
use wasmq_admin::group::ConsumerProgress;

use super::Common;
use super::time::format_ms;

/// Options of `consumerProgress`.
#[derive(Debug, Args)]
pub struct ConsumerProgressArgs {
    /// Where to ask, how to print.
    #[command(flatten)]
    pub common: Common,
    /// The consumer group (all groups when absent).
    #[arg(short = 'g', long = "groupName")]
    pub group: Option<String>,
    /// wasmq: only this topic.
    #[arg(short = 't', long)]
    pub topic: Option<String>,
}

/// One group of the all-groups listing.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct GroupLine {
    group: String,
    total_lag: Option<i64>,
    consume_tps: Option<f64>,
    /// Why the progress could not be read (no consumer ever connected...).
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// Runs the verb.
pub async fn run(a: ConsumerProgressArgs) -> anyhow::Result<()> {
    let admin = a.common.admin();
    if let Some(group) = &a.group {
        let p = admin.consumer_progress(group, a.topic.as_deref()).await?;
        return a.common.print(&p, table);
    }
    let mut lines = Vec::new();
    for g in admin.consumer_groups().await? {
        let name = g.config.group_name;
        let line = match admin.consumer_progress(&name, a.topic.as_deref()).await {
            Ok(p) => GroupLine {
                group: name,
                total_lag: Some(p.total_lag),
                consume_tps: Some(p.consume_tps),
                error: None,
            },
            Err(e) => GroupLine {
                group: name,
                total_lag: None,
                consume_tps: None,
                error: Some(e.to_string()),
            },
        };
        lines.push(line);
    }
    a.common.print(&lines, |lines| {
        let mut out = format!("{:<64}  {:>11}  {:>11}\n", "#Group", "#TPS", "#Diff Total");
        for l in lines {
            let tps = l.consume_tps.map_or("-".into(), |t| format!("{t:.2}"));
            let lag = l.total_lag.map_or("-".into(), |d| d.to_string());
            out.push_str(&format!("{:<64}  {tps:>11}  {lag:>11}\n", l.group));
        }
        out
    })
}

/// mqadmin's columns (the client column is not known to the brokers; `-`).
pub fn table(p: &ConsumerProgress) -> String {
    let mut out = format!(
        "{:<64}  {:<32}  {:<4}  {:<20}  {:<20}  {:<20} {:<20}  {}\n",
        "#Topic",
        "#Broker Name",
        "#QID",
        "#Broker Offset",
        "#Consumer Offset",
        "#Client IP",
        "#Diff",
        "#LastTime"
    );
    for q in &p.queues {
        out.push_str(&format!(
            "{:<64}  {:<32}  {:<4}  {:<20}  {:<20}  {:<20} {:<20}  {}\n",
            q.topic,
            q.broker_name,
            q.queue_id,
            q.broker_offset,
            q.consumer_offset,
            "-",
            q.lag,
            format_ms(q.last_timestamp)
        ));
    }
    out.push_str(&format!(
        "\nConsume TPS: {:.2}\nConsume Diff Total: {}\n",
        p.consume_tps, p.total_lag
    ));
    out
}
