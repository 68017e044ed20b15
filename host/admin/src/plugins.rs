//! wasmq extension requests: WASMQ_PLUGIN_LIST (9000), a broker's plugin bindings with their
//! metrics, and WASMQ_PLUGIN_SET_ENABLED (9001), switching one binding on or off.

use serde::{Deserialize, Serialize};
use wasmq_protocol::RequestCode;
use wasmq_protocol::header::NoHeader;

use crate::{Admin, Result, json_body};

wasmq_protocol::command_header! {
    /// WASMQ_PLUGIN_SET_ENABLED (9001).
    pub struct PluginSetEnabledRequestHeader {
        /// The binding's name (as in plugins.toml, default `<plugin>/<hook>`).
        binding: String => "binding",
        /// On (true) or off (false).
        enabled: bool => "enabled",
    }
}

/// One binding as WASMQ_PLUGIN_LIST answers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct BindingRow {
    /// Binding name.
    pub binding: String,
    /// Plugin file stem.
    pub plugin: String,
    /// Plugin version (from `describe`).
    pub version: String,
    /// Hook kind (`ingress-filter`, ...).
    pub hook: String,
    /// Topic globs.
    pub topics: Vec<String>,
    /// Whether the binding runs.
    pub enabled: bool,
    /// Calls made.
    pub calls: u64,
    /// Messages passed in.
    pub messages: u64,
    /// Time spent in the plugin, ns.
    pub nanos: u64,
    /// Messages rejected.
    pub rejects: u64,
    /// Messages discarded.
    pub discards: u64,
    /// Traps.
    pub traps: u64,
    /// Fuel consumed.
    pub fuel: u64,
    /// All failures (traps, fuel and memory exhaustion, plugin errors).
    pub failures: u64,
}

/// The body of WASMQ_PLUGIN_LIST.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct PluginList {
    /// Plugin set generation (increases on every reload).
    pub generation: u64,
    /// Active bindings, in bindings-file order.
    pub bindings: Vec<BindingRow>,
}

impl Admin {
    /// WASMQ_PLUGIN_LIST on the broker at `addr`.
    pub async fn plugins(&self, addr: &str) -> Result<PluginList> {
        let code = RequestCode::WasmqPluginList;
        let resp = self.call(addr, code, &NoHeader, None).await?;
        json_body(addr, code, &resp)
    }

    /// WASMQ_PLUGIN_SET_ENABLED on the broker at `addr`.
    pub async fn set_plugin_enabled(&self, addr: &str, binding: &str, enabled: bool) -> Result<()> {
        let h = PluginSetEnabledRequestHeader {
            binding: binding.to_owned(),
            enabled,
        };
        self.call(addr, RequestCode::WasmqPluginSetEnabled, &h, None)
            .await?;
        Ok(())
    }
}
