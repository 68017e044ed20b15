//! `getBrokerConfig`: a broker's (or every master's of a cluster) settings.

use std::collections::BTreeMap;

use clap::Args;

use super::{Brokers, Common};

/// Options of `getBrokerConfig`.
#[derive(Debug, Args)]
pub struct GetBrokerConfigArgs {
    /// Where to ask, how to print.
    #[command(flatten)]
    pub common: Common,
    /// `-b ADDR` or `-c CLUSTER`.
    #[command(flatten)]
    pub brokers: Brokers,
}

/// Runs the verb (JSON: address -> key -> value).
pub async fn run(a: GetBrokerConfigArgs) -> anyhow::Result<()> {
    let admin = a.common.admin();
    let mut all = BTreeMap::new();
    for addr in admin.resolve(a.brokers.target()?).await? {
        all.insert(addr.clone(), admin.broker_config(&addr).await?);
    }
    a.common.print(&all, |all| {
        let mut out = String::new();
        for (addr, conf) in all {
            out.push_str(&format!("============{addr}============\n"));
            for (k, v) in conf {
                out.push_str(&format!("{k:<50}=  {v}\n"));
            }
        }
        out
    })
}
