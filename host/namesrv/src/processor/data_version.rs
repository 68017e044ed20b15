//! QUERY_DATA_VERSION (322): has the nameserver the broker's current topic table?

use wasmq_protocol::body::namesrv::DataVersion;
use wasmq_protocol::header::namesrv::{
    QueryDataVersionRequestHeader, QueryDataVersionResponseHeader,
};
use wasmq_protocol::{RemotingCommand, ResponseCode};
use wasmq_remoting::Request;

use crate::state::NamesrvState;

/// Answers `changed` (true when the stored version differs or the broker is unknown) and the
/// stored version as body. An unchanged answer also refreshes the broker's liveness.
pub fn handle(
    state: &NamesrvState,
    req: Request<QueryDataVersionRequestHeader>,
) -> RemotingCommand {
    let version: DataVersion = match serde_json::from_slice(&req.body) {
        Ok(v) => v,
        Err(e) => {
            return RemotingCommand::error(
                ResponseCode::SystemError,
                format!("QUERY_DATA_VERSION body is not a DataVersion: {e}"),
            );
        }
    };
    let addr = &req.header.broker_addr;
    let now = state.now_ms();
    let (changed, stored) = {
        let mut routes = state.routes().write();
        let changed = routes.is_topic_config_changed(addr, &version);
        if !changed {
            routes.touch(addr, now);
        }
        (changed, routes.data_version(addr))
    };
    let mut resp =
        RemotingCommand::success().with_header(&QueryDataVersionResponseHeader { changed });
    if let Some(v) = stored {
        resp = resp.with_body(super::json(&v));
    }
    resp
}
