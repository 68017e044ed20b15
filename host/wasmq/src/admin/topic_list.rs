//! `topicList`: every topic the nameserver knows.

use clap::Args;

use super::Common;

/// Options of `topicList`.
#[derive(Debug, Args)]
pub struct TopicListArgs {
    /// Where to ask, how to print.
    #[command(flatten)]
    pub common: Common,
}

/// Runs the verb: one topic per line.
pub async fn run(a: TopicListArgs) -> anyhow::Result<()> {
    let topics = a.common.admin().topic_list().await?;
    a.common
        .print(&topics, |t| t.iter().map(|t| format!("{t}\n")).collect())
}
