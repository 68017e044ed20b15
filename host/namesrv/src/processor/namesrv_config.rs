//! GET_NAMESRV_CONFIG (319) and UPDATE_NAMESRV_CONFIG (318), used by mqadmin.

use wasmq_protocol::header::NoHeader;
use wasmq_protocol::{RemotingCommand, ResponseCode};
use wasmq_remoting::Request;

use crate::config::{ConfigUpdateError, parse_properties};
use crate::state::NamesrvState;

/// The effective settings as `key=value` lines.
pub fn get(state: &NamesrvState, _req: Request<NoHeader>) -> RemotingCommand {
    let config = state.config().clone();
    match wasmq_config::render_properties(&config) {
        Ok(text) => RemotingCommand::success().with_body(text.into_bytes()),
        Err(e) => RemotingCommand::error(ResponseCode::SystemError, e.to_string()),
    }
}

/// Applies a properties body. Blacklisted keys (`kvConfigPath`, ...) answer 16 NO_PERMISSION
/// like Java. Unlike Java, the change is not written to `configStorePath`: it lasts until
/// restart.
pub fn update(state: &NamesrvState, req: Request<NoHeader>) -> RemotingCommand {
    let Ok(text) = std::str::from_utf8(&req.body) else {
        return RemotingCommand::error(ResponseCode::SystemError, "config body is not UTF-8");
    };
    let updates = parse_properties(text);
    match state.update_config(&updates) {
        Ok(()) => {
            tracing::info!(peer = %req.conn.peer(), ?updates, "nameserver config updated");
            RemotingCommand::success()
        }
        Err(e @ ConfigUpdateError::Blacklisted { .. }) => {
            RemotingCommand::error(ResponseCode::NoPermission, e.to_string())
        }
        Err(e) => RemotingCommand::error(ResponseCode::SystemError, e.to_string()),
    }
}
