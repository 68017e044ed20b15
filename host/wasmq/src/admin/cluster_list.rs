//! `clusterList`: every broker of every cluster with its version and runtime figures.

use clap::Args;
use wasmq_admin::cluster::BrokerRow;

use super::Common;

/// Options of `clusterList`.
#[derive(Debug, Args)]
pub struct ClusterListArgs {
    /// Where to ask, how to print.
    #[command(flatten)]
    pub common: Common,
}

/// Runs the verb.
pub async fn run(a: ClusterListArgs) -> anyhow::Result<()> {
    let rows = a.common.admin().cluster_list().await?;
    a.common.print(&rows, |r| table(r))
}

/// mqadmin's columns; the TPS columns show what the broker reports (`-` when it does not).
pub fn table(rows: &[BrokerRow]) -> String {
    let mut out = format!(
        "{:<16}  {:<22}  {:<4}  {:<22} {:<16} {:>19} {:>19} {:>6}\n",
        "#Cluster Name", "#Broker Name", "#BID", "#Addr", "#Version", "#InTPS", "#OutTPS", "#SPACE"
    );
    for r in rows {
        let get = |k: &str| r.runtime.get(k).map_or("-", String::as_str);
        out.push_str(&format!(
            "{:<16}  {:<22}  {:<4}  {:<22} {:<16} {:>19} {:>19} {:>6}\n",
            r.cluster,
            r.broker_name,
            r.broker_id,
            r.addr,
            r.version,
            first_rate(get("putTps")),
            first_rate(get("getTransferedTps")),
            space(get("commitLogDiskRatio")),
        ));
    }
    out
}

/// The 10-second rate of Java's "10s 60s 600s" triple, as mqadmin prints it (`%.2f`).
fn first_rate(rates: &str) -> String {
    rates
        .split(' ')
        .next()
        .and_then(|r| r.parse::<f64>().ok())
        .map_or_else(|| rates.to_owned(), |r| format!("{r:.2}"))
}

/// The disk-used ratio as mqadmin prints it (`%.4f`).
fn space(ratio: &str) -> String {
    ratio
        .parse::<f64>()
        .map_or_else(|_| ratio.to_owned(), |r| format!("{r:.4}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_and_space_as_mqadmin_prints_them() {
        assert_eq!(first_rate("12.345 6.00 1.00"), "12.35");
        assert_eq!(first_rate("-"), "-");
        assert_eq!(space("0.5"), "0.5000");
    }
}
