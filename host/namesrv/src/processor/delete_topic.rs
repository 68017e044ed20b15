//! DELETE_TOPIC_IN_NAMESRV (216): forget a topic, everywhere or in one cluster.

use wasmq_protocol::RemotingCommand;
use wasmq_protocol::header::namesrv::DeleteTopicFromNamesrvRequestHeader;
use wasmq_remoting::Request;

use crate::state::NamesrvState;

/// Removes the topic's queue data (all of it, or that of `clusterName`'s broker groups).
/// A master re-registering a changed topic table brings it back, as in Java.
pub fn handle(
    state: &NamesrvState,
    req: Request<DeleteTopicFromNamesrvRequestHeader>,
) -> RemotingCommand {
    let h = &req.header;
    let cluster = h.cluster_name.as_deref().filter(|c| !c.is_empty());
    state.routes().write().delete_topic(&h.topic, cluster);
    tracing::info!(topic = %h.topic, cluster = ?cluster, peer = %req.conn.peer(), "topic deleted");
    RemotingCommand::success()
}
