//! Clusters and brokers: GET_BROKER_CLUSTER_INFO (106) from the nameserver, and per broker
//! GET_BROKER_RUNTIME_INFO (28), GET_BROKER_CONFIG (26) and UPDATE_BROKER_CONFIG (25).

use std::collections::BTreeMap;

use futures::future::join_all;
use serde::Serialize;
use wasmq_protocol::RequestCode;
use wasmq_protocol::body::namesrv::{ClusterInfo, KvTable};
use wasmq_protocol::header::NoHeader;

use crate::{Admin, AdminError, Result, json_body};

/// One broker of `clusterList`, with the runtime figures mqadmin prints beside it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BrokerRow {
    /// Cluster name.
    pub cluster: String,
    /// Broker (group) name.
    pub broker_name: String,
    /// Broker id (0 = master).
    pub broker_id: i64,
    /// `ip:port`.
    pub addr: String,
    /// `brokerVersionDesc`, or the reason the runtime figures could not be read.
    pub version: String,
    /// The broker's GET_BROKER_RUNTIME_INFO table (empty if it did not answer).
    pub runtime: BTreeMap<String, String>,
}

/// The brokers a verb acts on: one address (`-b`) or a cluster (`-c`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target<'a> {
    /// One broker's address.
    Broker(&'a str),
    /// Every master of the cluster.
    Masters(&'a str),
    /// Every broker (masters and slaves) of the cluster.
    AllOf(&'a str),
}

impl Admin {
    /// GET_BROKER_CLUSTER_INFO: clusters, broker names and addresses.
    pub async fn cluster_info(&self) -> Result<ClusterInfo> {
        let resp = self
            .ask_namesrv(RequestCode::GetBrokerClusterInfo, &NoHeader)
            .await?;
        json_body("nameserver", RequestCode::GetBrokerClusterInfo, &resp)
    }

    /// `clusterList`: every broker with its runtime figures (asked concurrently).
    pub async fn cluster_list(&self) -> Result<Vec<BrokerRow>> {
        let info = self.cluster_info().await?;
        let mut rows = Vec::new();
        for (cluster, names) in &info.cluster_addr_table {
            for name in names {
                let Some(data) = info.broker_addr_table.get(name) else {
                    continue;
                };
                for (id, addr) in &data.broker_addrs {
                    rows.push(BrokerRow {
                        cluster: cluster.clone(),
                        broker_name: name.clone(),
                        broker_id: *id,
                        addr: addr.clone(),
                        version: String::new(),
                        runtime: BTreeMap::new(),
                    });
                }
            }
        }
        let runtimes = join_all(rows.iter().map(|r| self.broker_runtime(&r.addr))).await;
        for (row, rt) in rows.iter_mut().zip(runtimes) {
            match rt {
                Ok(t) => {
                    row.version = t.get("brokerVersionDesc").cloned().unwrap_or_default();
                    row.runtime = t;
                }
                Err(e) => row.version = format!("({e})"),
            }
        }
        Ok(rows)
    }

    /// The master addresses of `cluster`.
    pub async fn masters(&self, cluster: &str) -> Result<Vec<String>> {
        self.resolve(Target::Masters(cluster)).await
    }

    /// The addresses a [`Target`] names.
    pub async fn resolve(&self, target: Target<'_>) -> Result<Vec<String>> {
        let (cluster, masters_only) = match target {
            Target::Broker(addr) => return Ok(vec![addr.to_owned()]),
            Target::Masters(c) => (c, true),
            Target::AllOf(c) => (c, false),
        };
        let info = self.cluster_info().await?;
        let names =
            info.cluster_addr_table
                .get(cluster)
                .ok_or_else(|| AdminError::NoSuchCluster {
                    cluster: cluster.to_owned(),
                    namesrv: self.namesrv.clone(),
                })?;
        let mut addrs = Vec::new();
        for data in names.iter().filter_map(|n| info.broker_addr_table.get(n)) {
            for (id, addr) in &data.broker_addrs {
                if *id == 0 || !masters_only {
                    addrs.push(addr.clone());
                }
            }
        }
        Ok(addrs)
    }

    /// GET_BROKER_RUNTIME_INFO: the broker's figures (`brokerStatus`).
    pub async fn broker_runtime(&self, addr: &str) -> Result<BTreeMap<String, String>> {
        let code = RequestCode::GetBrokerRuntimeInfo;
        let resp = self.call(addr, code, &NoHeader, None).await?;
        let t: KvTable = json_body(addr, code, &resp)?;
        Ok(t.table)
    }

    /// GET_BROKER_CONFIG: the broker's settings, `key -> value` (`getBrokerConfig`).
    pub async fn broker_config(&self, addr: &str) -> Result<BTreeMap<String, String>> {
        let resp = self
            .call(addr, RequestCode::GetBrokerConfig, &NoHeader, None)
            .await?;
        Ok(parse_properties(&String::from_utf8_lossy(&resp.body)))
    }

    /// UPDATE_BROKER_CONFIG: sets `key=value` on each broker of `target`; returns the addresses
    /// changed. The body is a Java properties text, as `MixAll.properties2String` writes it.
    pub async fn update_broker_config(
        &self,
        target: Target<'_>,
        key: &str,
        value: &str,
    ) -> Result<Vec<String>> {
        let addrs = self.resolve(target).await?;
        let body = format!("{key}={value}\n").into_bytes();
        for addr in &addrs {
            self.call(
                addr,
                RequestCode::UpdateBrokerConfig,
                &NoHeader,
                Some(body.clone()),
            )
            .await?;
        }
        Ok(addrs)
    }
}

/// Parses `key=value` lines (Java properties text) into a sorted map.
pub fn parse_properties(text: &str) -> BTreeMap<String, String> {
    wasmq_protocol::body::parse_properties(text)
        .into_iter()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_text() {
        let p = parse_properties("# c\nbrokerName=b\n a = 1 \nurl=http://x:1/y\n\n");
        assert_eq!(p["brokerName"], "b");
        assert_eq!(p["a"], "1");
        assert_eq!(p["url"], "http://x:1/y");
        assert_eq!(p.len(), 3);
    }
}
