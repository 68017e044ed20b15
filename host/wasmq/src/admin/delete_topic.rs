//! `deleteTopic`: delete a topic from every master of a cluster, then from the nameservers.

use clap::Args;

use super::Common;

/// Options of `deleteTopic`.
#[derive(Debug, Args)]
pub struct DeleteTopicArgs {
    /// Where to ask, how to print.
    #[command(flatten)]
    pub common: Common,
    /// The topic.
    #[arg(short = 't', long)]
    pub topic: String,
    /// The cluster.
    #[arg(short = 'c', long = "clusterName")]
    pub cluster: String,
}

/// Runs the verb.
pub async fn run(a: DeleteTopicArgs) -> anyhow::Result<()> {
    let addrs = a.common.admin().delete_topic(&a.cluster, &a.topic).await?;
    let result = serde_json::json!({"topic": a.topic, "cluster": a.cluster, "brokers": addrs});
    a.common.print(&result, |_| {
        format!(
            "delete topic [{}] from cluster [{}] success.\ndelete topic [{}] from NameServer success.\n",
            a.topic, a.cluster, a.topic
        )
    })
}
