//! GET_BROKER_CLUSTER_INFO (106): every broker group and cluster.

use wasmq_protocol::RemotingCommand;
use wasmq_protocol::header::NoHeader;
use wasmq_remoting::Request;

use crate::state::NamesrvState;

/// Answers the `ClusterInfo` body.
pub fn handle(state: &NamesrvState, _req: Request<NoHeader>) -> RemotingCommand {
    let info = state.routes().read().cluster_info();
    RemotingCommand::success().with_body(super::json(&info))
}
