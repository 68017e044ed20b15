//! The cluster page: clusters, brokers and their runtime figures; the health probe behind the
//! banner; the throughput chart's series.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde::Serialize;

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::throughput::{INTERVAL, Series};

/// `GET /api/info`: what the console was started with (never fails).
pub async fn info(State(s): State<Arc<AppState>>) -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "namesrv": s.admin.namesrv(),
        "version": env!("CARGO_PKG_VERSION"),
    }))
}

/// `GET /api/health`: can the nameserver be reached? (GET_BROKER_CLUSTER_INFO)
pub async fn health(State(s): State<Arc<AppState>>) -> ApiResult<serde_json::Value> {
    let info = s
        .admin
        .cluster_info()
        .await
        .map_err(|e| ApiError::from_admin(e, s.admin.namesrv()))?;
    Ok(Json(serde_json::json!({
        "namesrv": s.admin.namesrv(),
        "ok": true,
        "brokers": info.broker_addr_table.len(),
    })))
}

/// `GET /api/cluster`.
#[derive(Debug, Serialize)]
pub struct ClusterPage {
    /// The nameserver list asked.
    pub namesrv: String,
    /// Clusters by name.
    pub clusters: Vec<Cluster>,
}

/// One cluster.
#[derive(Debug, Serialize)]
pub struct Cluster {
    /// Cluster name.
    pub name: String,
    /// Its brokers, masters first within each broker name.
    pub brokers: Vec<Broker>,
}

/// One broker process.
#[derive(Debug, Serialize)]
pub struct Broker {
    /// Broker (group) name.
    pub name: String,
    /// 0 = master.
    pub id: i64,
    /// `ip:port`.
    pub addr: String,
    /// GET_BROKER_RUNTIME_INFO, when the broker answered.
    pub runtime: Option<BTreeMap<String, String>>,
    /// Why there are no runtime figures.
    pub error: Option<String>,
}

/// `GET /api/cluster`: `clusterList` with every broker's runtime figures.
pub async fn cluster(State(s): State<Arc<AppState>>) -> ApiResult<ClusterPage> {
    let namesrv = s.admin.namesrv();
    let rows = s
        .admin
        .cluster_list()
        .await
        .map_err(|e| ApiError::from_admin(e, namesrv))?;
    let mut clusters: Vec<Cluster> = Vec::new();
    for row in rows {
        let broker = Broker {
            name: row.broker_name,
            id: row.broker_id,
            addr: row.addr,
            error: row.runtime.is_empty().then(|| row.version.clone()),
            runtime: (!row.runtime.is_empty()).then_some(row.runtime),
        };
        match clusters.iter_mut().find(|c| c.name == row.cluster) {
            Some(c) => c.brokers.push(broker),
            None => clusters.push(Cluster {
                name: row.cluster,
                brokers: vec![broker],
            }),
        }
    }
    Ok(Json(ClusterPage {
        namesrv: namesrv.to_owned(),
        clusters,
    }))
}

/// `GET /api/throughput`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Throughput {
    /// Sampling period, ms.
    pub interval_ms: u64,
    /// One series per broker and metric.
    pub series: Vec<Series>,
}

/// `GET /api/throughput`: the sampler's series. When nothing has been sampled yet, the nameserver
/// is asked, so that an unreachable one is reported rather than an empty chart.
pub async fn throughput(State(s): State<Arc<AppState>>) -> ApiResult<Throughput> {
    let series = s.throughput.series();
    if series.is_empty() {
        s.admin
            .cluster_info()
            .await
            .map_err(|e| ApiError::from_admin(e, s.admin.namesrv()))?;
    }
    Ok(Json(Throughput {
        interval_ms: u64::try_from(INTERVAL.as_millis()).unwrap_or(u64::MAX),
        series,
    }))
}
