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

/// One group of the all-groups listing (mqadmin's `GroupConsumeInfo`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct GroupLine {
    group: String,
    /// Live consumer connections (0 = offline).
    count: usize,
    /// The oldest client version ordinal among them.
    min_version: Option<i32>,
    consume_type: Option<String>,
    message_model: Option<String>,
    consume_tps: Option<f64>,
    total_lag: Option<i64>,
}

/// Runs the verb. Without `-g`, as mqadmin: every group that has a `%RETRY%` topic.
pub async fn run(a: ConsumerProgressArgs) -> anyhow::Result<()> {
    let admin = a.common.admin();
    if let Some(group) = &a.group {
        let p = admin.consumer_progress(group, a.topic.as_deref()).await?;
        return a.common.print(&p, table);
    }
    let mut lines = Vec::new();
    for topic in admin.topic_list().await? {
        let Some(group) = topic.strip_prefix("%RETRY%") else {
            continue;
        };
        let progress = admin
            .consumer_progress(group, a.topic.as_deref())
            .await
            .ok();
        let conn = admin.consumer_connection(group).await.ok();
        lines.push(GroupLine {
            group: group.to_owned(),
            count: conn.as_ref().map_or(0, |c| c.connection_set.len()),
            min_version: conn
                .as_ref()
                .and_then(|c| c.connection_set.iter().map(|x| x.version).min()),
            consume_type: conn.as_ref().map(|c| c.consume_type.clone()),
            message_model: conn.as_ref().map(|c| c.message_model.clone()),
            consume_tps: progress.as_ref().map(|p| p.consume_tps),
            total_lag: progress.as_ref().map(|p| p.total_lag),
        });
    }
    a.common.print(&lines, |lines| {
        let mut out = format!(
            "{:<64}  {:<6}  {:<24} {:<5}  {:<14}  {:<7}  {}\n",
            "#Group", "#Count", "#Version", "#Type", "#Model", "#TPS", "#Diff Total"
        );
        for l in lines {
            let version = match l.min_version {
                Some(v) if l.count > 0 => v.to_string(),
                _ => "OFFLINE".into(),
            };
            let kind = match l.consume_type.as_deref() {
                Some("CONSUME_PASSIVELY") => "PUSH",
                Some("CONSUME_ACTIVELY") => "PULL",
                _ => "",
            };
            out.push_str(&format!(
                "{:<64}  {:<6}  {:<24} {:<5}  {:<14}  {:<7}  {}\n",
                l.group,
                l.count,
                version,
                kind,
                l.message_model.as_deref().unwrap_or(""),
                l.consume_tps.map_or(0, |t| t as i64),
                l.total_lag.unwrap_or(0)
            ));
        }
        out
    })
}

/// mqadmin's columns (as without `-s`: no client column).
pub fn table(p: &ConsumerProgress) -> String {
    let mut out = format!(
        "{:<64}  {:<32}  {:<4}  {:<20}  {:<20}  {:<20}  {}\n",
        "#Topic",
        "#Broker Name",
        "#QID",
        "#Broker Offset",
        "#Consumer Offset",
        "#Diff",
        "#LastTime"
    );
    for q in &p.queues {
        out.push_str(&format!(
            "{:<64}  {:<32}  {:<4}  {:<20}  {:<20}  {:<20}  {}\n",
            q.topic,
            q.broker_name,
            q.queue_id,
            q.broker_offset,
            q.consumer_offset,
            q.lag,
            format_ms(q.last_timestamp)
        ));
    }
    out.push_str(&format!(
        "\nConsume TPS: {:.2}\nDiff Total: {}\n",
        p.consume_tps, p.total_lag
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasmq_admin::group::QueueProgress;

    #[test]
    fn one_row_per_queue_then_the_totals() {
        let p = ConsumerProgress {
            group: "G".into(),
            queues: vec![QueueProgress {
                topic: "T".into(),
                broker_name: "b".into(),
                queue_id: 1,
                broker_offset: 10,
                consumer_offset: 7,
                lag: 3,
                last_timestamp: 0,
            }],
            total_lag: 3,
            consume_tps: 0.0,
        };
        let t = table(&p);
        let lines: Vec<&str> = t.lines().collect();
        assert!(lines[0].starts_with("#Topic"), "{t}");
        assert_eq!(
            lines[1].split_whitespace().collect::<Vec<_>>(),
            ["T", "b", "1", "10", "7", "3", "-"]
        );
        assert!(t.ends_with("Consume TPS: 0.00\nDiff Total: 3\n"), "{t}");
    }
}
