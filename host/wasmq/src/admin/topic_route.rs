//! `topicRoute`: a topic's route as the nameserver gives it to clients (JSON, as mqadmin prints it).

use clap::Args;

use super::Common;

/// Options of `topicRoute`.
#[derive(Debug, Args)]
pub struct TopicRouteArgs {
    /// Where to ask (the route is JSON either way).
    #[command(flatten)]
    pub common: Common,
    /// The topic.
    #[arg(short = 't', long)]
    pub topic: String,
}

/// Runs the verb.
pub async fn run(a: TopicRouteArgs) -> anyhow::Result<()> {
    let route = a.common.admin().topic_route(&a.topic).await?;
    println!("{}", serde_json::to_string_pretty(&route)?);
    Ok(())
}
