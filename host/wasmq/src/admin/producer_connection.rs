//! `producerConnection`: a producer group's live clients, as the brokers of a topic know them.

use clap::Args;
use wasmq_admin::group::ProducerConnection;

use super::Common;

/// Options of `producerConnection`.
#[derive(Debug, Args)]
pub struct ProducerConnectionArgs {
    /// Where to ask, how to print.
    #[command(flatten)]
    pub common: Common,
    /// The producer group.
    #[arg(short = 'g', long = "producerGroup")]
    pub group: String,
    /// A topic the group sends to (its brokers are asked).
    #[arg(short = 't', long)]
    pub topic: String,
}

/// Runs the verb.
pub async fn run(a: ProducerConnectionArgs) -> anyhow::Result<()> {
    let c = a
        .common
        .admin()
        .producer_connection(&a.group, &a.topic)
        .await?;
    a.common.print(&c, table)
}

/// mqadmin's layout.
pub fn table(c: &ProducerConnection) -> String {
    c.connection_set
        .iter()
        .enumerate()
        .map(|(i, conn)| {
            format!(
                "{:04}  {:<32} {:<22} {:<8} {}\n",
                i + 1,
                conn.client_id,
                conn.client_addr,
                conn.language,
                conn.version
            )
        })
        .collect()
}
