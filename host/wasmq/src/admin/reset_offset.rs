//! `resetOffsetByTime`: move a consumer group's offsets on a topic to those at a point in time.

use clap::Args;
use wasmq_admin::group::ResetOffsets;

use super::Common;
use super::time::{format_ms, parse_timestamp};

/// Options of `resetOffsetByTime`.
#[derive(Debug, Args)]
pub struct ResetOffsetArgs {
    /// Where to ask, how to print.
    #[command(flatten)]
    pub common: Common,
    /// The consumer group.
    #[arg(short = 'g', long)]
    pub group: String,
    /// The topic.
    #[arg(short = 't', long)]
    pub topic: String,
    /// ms since the epoch, `now`, `-1` (the end), or `yyyy-MM-dd#HH:mm:ss:SSS` (UTC).
    #[arg(short = 's', long, allow_hyphen_values = true)]
    pub timestamp: String,
    /// Also move offsets forward (mqadmin's default: true).
    #[arg(short = 'f', long, default_value_t = true, num_args = 0..=1, default_missing_value = "true",
        action = clap::ArgAction::Set)]
    pub force: bool,
}

/// Runs the verb.
pub async fn run(a: ResetOffsetArgs) -> anyhow::Result<()> {
    let ts = parse_timestamp(&a.timestamp)?;
    let r = a
        .common
        .admin()
        .reset_offset_by_time(&a.group, &a.topic, ts, a.force)
        .await?;
    a.common.print(&r, |r| table(r, &a.timestamp, a.force))
}

/// mqadmin's layouts: the online reset's table, or the offline fallback's (`...Old`).
pub fn table(r: &ResetOffsets, given: &str, force: bool) -> String {
    let mut out = format!(
        "rollback consumer offset by specified group[{}], topic[{}], force[{force}], timestamp(string)[{given}], timestamp(long)[{}] ({})\n",
        r.group,
        r.topic,
        r.timestamp,
        format_ms(r.timestamp)
    );
    if r.online {
        out.push_str(&format!(
            "{:<40}  {:<40}  {:<40}\n",
            "#brokerName", "#queueId", "#offset"
        ));
        for q in &r.queues {
            out.push_str(&format!(
                "{:<40}  {:<40}  {:<40}\n",
                q.broker_name, q.queue_id, q.offset
            ));
        }
    } else {
        out.push_str("no consumer of the group is online: offsets written directly\n");
        out.push_str(&format!(
            "{:<20}  {:<20}  {:<20}  {:<20}  {:<20}  {:<20}\n",
            "#brokerName",
            "#queueId",
            "#brokerOffset",
            "#consumerOffset",
            "#timestampOffset",
            "#resetOffset"
        ));
        let dash = |v: Option<i64>| v.map_or("-".into(), |v| v.to_string());
        for q in &r.queues {
            out.push_str(&format!(
                "{:<20}  {:<20}  {:<20}  {:<20}  {:<20}  {:<20}\n",
                q.broker_name,
                q.queue_id,
                dash(q.broker_offset),
                dash(q.consumer_offset),
                dash(q.timestamp_offset),
                q.offset
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasmq_admin::group::ResetRow;

    #[test]
    fn online_and_offline_layouts() {
        let row = ResetRow {
            broker_name: "b".into(),
            queue_id: 0,
            broker_offset: Some(9),
            consumer_offset: Some(9),
            timestamp_offset: Some(2),
            offset: 2,
        };
        let mut r = ResetOffsets {
            group: "G".into(),
            topic: "T".into(),
            timestamp: 1_795_620_100_123,
            online: false,
            queues: vec![row],
        };
        let t = table(&r, "2026-11-25#15:21:40:123", true);
        assert!(
            t.contains("timestamp(long)[1795620100123] (2026-11-25 15:21:40,123)"),
            "{t}"
        );
        let last: Vec<&str> = t.lines().last().unwrap().split_whitespace().collect();
        assert_eq!(last, ["b", "0", "9", "9", "2", "2"]);
        r.online = true;
        let t = table(&r, "x", true);
        assert!(t.contains("#offset"), "{t}");
        let last: Vec<&str> = t.lines().last().unwrap().split_whitespace().collect();
        assert_eq!(last, ["b", "0", "2"]);
    }
}
