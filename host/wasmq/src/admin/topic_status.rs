//! `topicStatus`: min / max offset and last update time of every queue of a topic.

use clap::Args;
use wasmq_admin::topic::TopicStatus;

use super::Common;
use super::time::format_ms;

/// Options of `topicStatus`.
#[derive(Debug, Args)]
pub struct TopicStatusArgs {
    /// Where to ask, how to print.
    #[command(flatten)]
    pub common: Common,
    /// The topic.
    #[arg(short = 't', long)]
    pub topic: String,
}

/// Runs the verb.
pub async fn run(a: TopicStatusArgs) -> anyhow::Result<()> {
    let status = a.common.admin().topic_status(&a.topic).await?;
    a.common.print(&status, table)
}

/// mqadmin's columns.
pub fn table(s: &TopicStatus) -> String {
    let mut out = format!(
        "{:<32}  {:<4}  {:<20}  {:<20}    {}\n",
        "#Broker Name", "#QID", "#Min Offset", "#Max Offset", "#Last Updated"
    );
    for q in &s.queues {
        out.push_str(&format!(
            "{:<32}  {:<4}  {:<20}  {:<20}    {}\n",
            q.broker_name,
            q.queue_id,
            q.min_offset,
            q.max_offset,
            format_ms(q.last_update_timestamp)
        ));
    }
    out
}
