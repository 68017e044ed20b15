//! `updateBrokerConfig`: change one setting of a broker (or of every broker of a cluster) at
//! run time; the broker refuses keys it cannot change live, naming them.

use clap::Args;

use super::{Brokers, Common};

/// Options of `updateBrokerConfig`.
#[derive(Debug, Args)]
pub struct UpdateBrokerConfigArgs {
    /// Where to ask, how to print.
    #[command(flatten)]
    pub common: Common,
    /// `-b ADDR` or `-c CLUSTER` (every broker of it, slaves too, as mqadmin).
    #[command(flatten)]
    pub brokers: Brokers,
    /// The setting.
    #[arg(short = 'k', long)]
    pub key: String,
    /// Its new value.
    #[arg(short = 'v', long, allow_hyphen_values = true)]
    pub value: String,
}

/// Runs the verb.
pub async fn run(a: UpdateBrokerConfigArgs) -> anyhow::Result<()> {
    let target = match a.brokers.target()? {
        wasmq_admin::cluster::Target::Masters(c) => wasmq_admin::cluster::Target::AllOf(c),
        t => t,
    };
    let addrs = a
        .common
        .admin()
        .update_broker_config(target, &a.key, &a.value)
        .await?;
    let result = serde_json::json!({"brokers": addrs, "key": a.key, "value": a.value});
    a.common.print(&result, |_| {
        addrs
            .iter()
            .map(|addr| format!("update broker config success, {addr}\n"))
            .collect()
    })
}
