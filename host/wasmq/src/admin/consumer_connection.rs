//! `consumerConnection`: a consumer group's live clients, their subscriptions and consume mode.

use clap::Args;
use wasmq_admin::group::ConsumerConnection;

use super::Common;

/// Options of `consumerConnection`.
#[derive(Debug, Args)]
pub struct ConsumerConnectionArgs {
    /// Where to ask, how to print.
    #[command(flatten)]
    pub common: Common,
    /// The consumer group.
    #[arg(short = 'g', long = "consumerGroup")]
    pub group: String,
}

/// Runs the verb.
pub async fn run(a: ConsumerConnectionArgs) -> anyhow::Result<()> {
    let c = a.common.admin().consumer_connection(&a.group).await?;
    a.common.print(&c, table)
}

/// mqadmin's layout.
pub fn table(c: &ConsumerConnection) -> String {
    let mut out = String::new();
    for (i, conn) in c.connection_set.iter().enumerate() {
        out.push_str(&format!(
            "{:03}  {:<32} {:<22} {:<8} {}\n",
            i + 1,
            conn.client_id,
            conn.client_addr,
            conn.language,
            conn.version
        ));
    }
    out.push_str("\nBelow is subscription:\n");
    for (i, sd) in c.subscription_table.values().enumerate() {
        out.push_str(&format!(
            "{:03}  Topic: {:<40} SubExpression: {}\n",
            i + 1,
            sd.topic,
            sd.sub_string
        ));
    }
    out.push_str(&format!(
        "\nConsumeType: {}\nMessageModel: {}\nConsumeFromWhere: {}\n",
        c.consume_type, c.message_model, c.consume_from_where
    ));
    out
}
