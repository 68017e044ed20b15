//! GET_BROKER_CLUSTER_INFO (106): every broker group and cluster.

use wasmq_protocol::RemotingCommand;
use wasmq_protocol::body::namesrv::STANDARD_JSON_VERSION;
use wasmq_protocol::header::NoHeader;
use wasmq_remoting::Request;

use crate::state::NamesrvState;

/// Answers the `ClusterInfo` body. Java always writes it in fastjson's form (unquoted
/// `brokerAddrs` keys, which Go's admin parser needs); wasmq does so for clients older than
/// 4.9.4 and writes standard JSON to newer ones (fastjson reads both).
pub fn handle(state: &NamesrvState, req: Request<NoHeader>) -> RemotingCommand {
    let info = state.routes().read().cluster_info();
    RemotingCommand::success().with_body(if req.version >= STANDARD_JSON_VERSION {
        super::json(&info)
    } else {
        super::fastjson(&info)
    })
}
