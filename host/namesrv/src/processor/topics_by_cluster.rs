//! GET_TOPICS_BY_CLUSTER (224): topics hosted by a cluster's broker groups.

use wasmq_protocol::RemotingCommand;
use wasmq_protocol::header::namesrv::GetTopicsByClusterRequestHeader;
use wasmq_remoting::Request;

use crate::state::NamesrvState;

/// Answers `{"topicList":[..]}`; empty for an unknown cluster (as Java, which swallows its
/// NullPointerException there).
pub fn handle(
    state: &NamesrvState,
    req: Request<GetTopicsByClusterRequestHeader>,
) -> RemotingCommand {
    let list = state.routes().read().topics_by_cluster(&req.header.cluster);
    RemotingCommand::success().with_body(super::json(&list))
}
