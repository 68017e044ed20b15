//! wasmq extension requests: WASMQ_PLUGIN_LIST (9000), a broker's plugin bindings with their
//! metrics, and WASMQ_PLUGIN_SET_ENABLED (9001), switching one binding on or off.

use wasmq_protocol::RequestCode;
pub use wasmq_protocol::body::broker::{BindingRow, PluginList};
use wasmq_protocol::header::NoHeader;
use wasmq_protocol::header::broker::PluginSetEnabledRequestHeader;

use crate::{Admin, Result, json_body};

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
