//! `brokerStatus`: a broker's runtime figures (GET_BROKER_RUNTIME_INFO), one per line.

use std::collections::BTreeMap;

use clap::Args;

use super::{Brokers, Common};

/// Options of `brokerStatus`.
#[derive(Debug, Args)]
pub struct BrokerStatusArgs {
    /// Where to ask, how to print.
    #[command(flatten)]
    pub common: Common,
    /// `-b ADDR` or `-c CLUSTER`.
    #[command(flatten)]
    pub brokers: Brokers,
}

/// Runs the verb; with `-c`, one block per master (JSON: address -> figures).
pub async fn run(a: BrokerStatusArgs) -> anyhow::Result<()> {
    let admin = a.common.admin();
    let addrs = admin.resolve(a.brokers.target()?).await?;
    let mut all = BTreeMap::new();
    for addr in addrs {
        all.insert(addr.clone(), admin.broker_runtime(&addr).await?);
    }
    // One broker asked by -b: its table alone, as before.
    if a.brokers.broker_addr.is_some() && a.common.json {
        if let Some(t) = all.into_values().next() {
            println!("{}", serde_json::to_string_pretty(&t)?);
        }
        return Ok(());
    }
    a.common.print(&all, |all| {
        let mut out = String::new();
        for (addr, t) in all {
            if all.len() > 1 {
                out.push_str(&format!("============{addr}============\n"));
            }
            for (k, v) in t {
                out.push_str(&format!("{k:<32}: {v}\n"));
            }
        }
        out
    })
}
