//! GET_SYSTEM_TOPIC_LIST_FROM_NS (304) and the unit-topic lists (311, 312, 313), used by mqadmin.

use wasmq_protocol::RemotingCommand;
use wasmq_protocol::body::namesrv::{QueueData, TopicList};
use wasmq_protocol::header::NoHeader;
use wasmq_remoting::Request;

use crate::state::NamesrvState;

/// `TopicSysFlag.FLAG_UNIT`.
const FLAG_UNIT: i32 = 0x1;
/// `TopicSysFlag.FLAG_UNIT_SUB`.
const FLAG_UNIT_SUB: i32 = 0x2;

fn answer(list: &TopicList) -> RemotingCommand {
    RemotingCommand::success().with_body(super::json(list))
}

/// Cluster and broker names (the per-cluster and per-broker built-in topics) and one broker
/// address.
pub fn system(state: &NamesrvState, _req: Request<NoHeader>) -> RemotingCommand {
    answer(&state.routes().read().system_topics())
}

/// Topics with the unit flag.
pub fn unit(state: &NamesrvState, _req: Request<NoHeader>) -> RemotingCommand {
    answer(
        &state
            .routes()
            .read()
            .topics_where(|q: &QueueData| q.topic_sys_flag & FLAG_UNIT != 0),
    )
}

/// Topics with the unit-sub flag.
pub fn has_unit_sub(state: &NamesrvState, _req: Request<NoHeader>) -> RemotingCommand {
    answer(
        &state
            .routes()
            .read()
            .topics_where(|q: &QueueData| q.topic_sys_flag & FLAG_UNIT_SUB != 0),
    )
}

/// Topics with the unit-sub flag but not the unit flag.
pub fn has_unit_sub_ununit(state: &NamesrvState, _req: Request<NoHeader>) -> RemotingCommand {
    answer(&state.routes().read().topics_where(|q: &QueueData| {
        q.topic_sys_flag & FLAG_UNIT == 0 && q.topic_sys_flag & FLAG_UNIT_SUB != 0
    }))
}
