//! WIPE_WRITE_PERM_OF_BROKER (205) and ADD_WRITE_PERM_OF_BROKER (327): take a broker group
//! out of (or back into) the write path of every topic it hosts.

use wasmq_protocol::RemotingCommand;
use wasmq_protocol::header::namesrv::{
    AddWritePermOfBrokerRequestHeader, AddWritePermOfBrokerResponseHeader,
    WipeWritePermOfBrokerRequestHeader, WipeWritePermOfBrokerResponseHeader,
};
use wasmq_remoting::Request;

use crate::state::NamesrvState;

/// Clears the write bit; answers `wipeTopicCount`.
pub fn wipe(
    state: &NamesrvState,
    req: Request<WipeWritePermOfBrokerRequestHeader>,
) -> RemotingCommand {
    let count = state
        .routes()
        .write()
        .wipe_write_perm(&req.header.broker_name);
    tracing::info!(broker = %req.header.broker_name, count, peer = %req.conn.peer(), "write permission wiped");
    RemotingCommand::success().with_header(&WipeWritePermOfBrokerResponseHeader {
        wipe_topic_count: count,
    })
}

/// Sets read-write permission; answers `addTopicCount`.
pub fn add(
    state: &NamesrvState,
    req: Request<AddWritePermOfBrokerRequestHeader>,
) -> RemotingCommand {
    let count = state
        .routes()
        .write()
        .add_write_perm(&req.header.broker_name);
    tracing::info!(broker = %req.header.broker_name, count, peer = %req.conn.peer(), "write permission added");
    RemotingCommand::success().with_header(&AddWritePermOfBrokerResponseHeader {
        add_topic_count: count,
    })
}
