//! GET_ALL_TOPIC_LIST_FROM_NAMESERVER (206): every topic with queue data.

use wasmq_protocol::RemotingCommand;
use wasmq_protocol::header::NoHeader;
use wasmq_remoting::Request;

use crate::state::NamesrvState;

/// Answers `{"topicList":[..]}`.
pub fn handle(state: &NamesrvState, _req: Request<NoHeader>) -> RemotingCommand {
    let list = state.routes().read().all_topics();
    RemotingCommand::success().with_body(super::json(&list))
}
