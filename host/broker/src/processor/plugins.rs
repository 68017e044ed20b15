//! wasmq extension requests for plugin administration on a running broker:
//! WASMQ_PLUGIN_LIST (9000) answers the bindings and their metrics as JSON;
//! WASMQ_PLUGIN_SET_ENABLED (9001) switches one binding on or off (until the bindings file
//! changes its `enabled`). Both need a [`crate::hooks::PluginAdmin`] installed on the broker.

use wasmq_protocol::header::NoHeader;
use wasmq_protocol::header::broker::PluginSetEnabledRequestHeader;
use wasmq_protocol::{RemotingCommand, ResponseCode};
use wasmq_remoting::Request;

use crate::broker::Broker;

const NO_ADMIN: &str = "this broker runs without a plugin host";

/// WASMQ_PLUGIN_LIST (9000): body = the [`crate::hooks::PluginAdmin::list_json`] document.
pub fn list(b: &Broker, _req: Request<NoHeader>) -> RemotingCommand {
    match b.plugin_admin() {
        Some(admin) => RemotingCommand::success().with_body(admin.list_json()),
        None => RemotingCommand::error(ResponseCode::SystemError, NO_ADMIN),
    }
}

/// WASMQ_PLUGIN_SET_ENABLED (9001): 0, or 1 naming the unknown binding.
pub fn set_enabled(b: &Broker, req: Request<PluginSetEnabledRequestHeader>) -> RemotingCommand {
    let Some(admin) = b.plugin_admin() else {
        return RemotingCommand::error(ResponseCode::SystemError, NO_ADMIN);
    };
    let h = req.header;
    if admin.set_enabled(&h.binding, h.enabled) {
        tracing::info!(binding = %h.binding, enabled = h.enabled, peer = %req.conn.peer(),
            "plugin binding switched by admin request");
        RemotingCommand::success()
    } else {
        RemotingCommand::error(
            ResponseCode::SystemError,
            format!("no active plugin binding named {:?}", h.binding),
        )
    }
}
