//! The plugins page: each master's plugin bindings with their metrics (WASMQ_PLUGIN_LIST), and
//! switching a binding on or off (WASMQ_PLUGIN_SET_ENABLED).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use wasmq_admin::plugins::BindingRow;

use crate::AppState;
use crate::api::required;
use crate::error::{ApiError, ApiResult};

/// One broker's bindings.
#[derive(Debug, Serialize)]
pub struct BrokerPlugins {
    /// Broker name.
    pub broker: String,
    /// Its master's address.
    pub addr: String,
    /// Plugin set generation (increases on every reload).
    pub generation: Option<u64>,
    /// Active bindings, in bindings-file order.
    pub plugins: Vec<BindingRow>,
    /// Why the broker's list could not be read.
    pub error: Option<String>,
}

/// `GET /api/plugins`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PluginsPage {
    /// One entry per master.
    pub brokers: Vec<BrokerPlugins>,
    /// Bindings can be switched on and off from the page.
    pub can_toggle: bool,
}

/// `GET /api/plugins`.
pub async fn list(State(s): State<Arc<AppState>>) -> ApiResult<PluginsPage> {
    let info = s
        .admin
        .cluster_info()
        .await
        .map_err(|e| ApiError::from_admin(e, s.admin.namesrv()))?;
    let mut brokers = Vec::new();
    for b in info.broker_addr_table.values() {
        let Some(addr) = b.master_addr() else {
            continue;
        };
        let mut row = BrokerPlugins {
            broker: b.broker_name.clone(),
            addr: addr.to_owned(),
            generation: None,
            plugins: Vec::new(),
            error: None,
        };
        match s.admin.plugins(addr).await {
            Ok(list) => {
                row.generation = Some(list.generation);
                row.plugins = list.bindings;
            }
            Err(e) => {
                row.error = Some(
                    ApiError::from_admin(e, s.admin.namesrv())
                        .message()
                        .to_owned(),
                )
            }
        }
        brokers.push(row);
    }
    Ok(Json(PluginsPage {
        brokers,
        can_toggle: true,
    }))
}

/// `POST /api/plugins/toggle {addr, name, enable}`.
#[derive(Debug, Deserialize)]
pub struct Toggle {
    addr: Option<String>,
    name: Option<String>,
    enable: bool,
}

/// `POST /api/plugins/toggle`: switches binding `name` on the broker at `addr`.
pub async fn toggle(
    State(s): State<Arc<AppState>>,
    Json(t): Json<Toggle>,
) -> ApiResult<serde_json::Value> {
    let addr = required(t.addr, "broker address")?;
    let name = required(t.name, "binding name")?;
    s.admin
        .set_plugin_enabled(&addr, &name, t.enable)
        .await
        .map_err(|e| ApiError::from_admin(e, s.admin.namesrv()))?;
    Ok(Json(
        serde_json::json!({ "binding": name, "enabled": t.enable }),
    ))
}
