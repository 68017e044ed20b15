//! `deleteSubGroup`: delete a subscription group from a broker, or from a cluster together with
//! its `%RETRY%` and `%DLQ%` topics.

use clap::Args;

use super::{Brokers, Common};

/// Options of `deleteSubGroup`.
#[derive(Debug, Args)]
pub struct DeleteSubGroupArgs {
    /// Where to ask, how to print.
    #[command(flatten)]
    pub common: Common,
    /// `-b ADDR` or `-c CLUSTER`.
    #[command(flatten)]
    pub brokers: Brokers,
    /// The group.
    #[arg(short = 'g', long = "groupName")]
    pub group: String,
}

/// Runs the verb.
pub async fn run(a: DeleteSubGroupArgs) -> anyhow::Result<()> {
    let addrs = a
        .common
        .admin()
        .delete_sub_group(a.brokers.target()?, &a.group)
        .await?;
    let result = serde_json::json!({"group": a.group, "brokers": addrs});
    a.common.print(&result, |_| {
        let mut out = String::new();
        match &a.brokers.cluster {
            Some(c) if a.brokers.broker_addr.is_none() => out.push_str(&format!(
                "delete subscription group [{}] from cluster [{c}] success.\n",
                a.group
            )),
            _ => {
                for addr in &addrs {
                    out.push_str(&format!(
                        "delete subscription group [{}] from broker [{addr}] success.\n",
                        a.group
                    ));
                }
            }
        }
        out
    })
}
