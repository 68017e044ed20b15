//! UNREGISTER_BROKER (104): a broker shutting down.

use wasmq_protocol::RemotingCommand;
use wasmq_protocol::header::namesrv::UnregisterBrokerRequestHeader;
use wasmq_remoting::Request;

use crate::state::NamesrvState;

/// Forgets the address; the last address of a broker name takes its topics with it.
pub fn handle(
    state: &NamesrvState,
    req: Request<UnregisterBrokerRequestHeader>,
) -> RemotingCommand {
    let h = &req.header;
    state
        .routes()
        .write()
        .unregister(&h.cluster_name, &h.broker_addr, &h.broker_name, h.broker_id);
    RemotingCommand::success()
}
